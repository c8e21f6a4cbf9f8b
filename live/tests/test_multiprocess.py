"""Live updates across real server processes sharing one Redis (PostgreSQL).

Two uvicorn processes on two ports: a websocket held on process A must see a
change made through process B's API; with Redis stopped the API keeps
changing statuses and writing history, and the dashboards resync after.
"""

from __future__ import annotations

import time

import httpx
import pytest
from websockets.sync.client import connect

from accounts.tokens import token_create
from registrants.models import Registrant, StatusChange
from registrants.tests.factories import EventFactory, make_registrant, make_user
from registrants.tests.invariants import assert_invariants, fresh_status_counts
from testing.servers import database_url_for_current_test_db, session_cookie_for, uvicorn_server

from .frames import recv_message

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def open_stream(base: str, event_id: int, cookie: str):
    ws_url = base.replace("http://", "ws://") + f"/ws/events/{event_id}/"
    return connect(ws_url, additional_headers={"Cookie": cookie, "Origin": base}, open_timeout=10)


def next_message(ws, wanted_type: str, timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no {wanted_type} message within {timeout} s")
        message = recv_message(ws, timeout=remaining)
        if message["type"] == wanted_type:
            return message


def test_a_change_through_process_b_reaches_a_websocket_on_process_a(redis_server):
    event = EventFactory(capacity=50)
    registrant = make_registrant(event)
    organiser = make_user("olga", "organiser")
    token = token_create(user=organiser)[1]
    env = {"DATABASE_URL": database_url_for_current_test_db(), "REDIS_URL": redis_server.url}
    with uvicorn_server(env=env) as a, uvicorn_server(env=env) as b:
        with open_stream(a, event.pk, session_cookie_for(organiser)) as ws:
            hello = next_message(ws, "numbers")
            assert hello["by_status"]["registered"] == 1
            started = time.monotonic()
            response = httpx.post(
                f"{b}/api/v1/registrants/{registrant.pk}/transitions/",
                json={"to_status": "checked_in"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert response.status_code == 200, response.text
            change = next_message(ws, "change", timeout=1.0)
            assert time.monotonic() - started < 1.0
            assert change["registrant"]["id"] == registrant.pk
            assert change["delta"] == {"registered": -1, "checked_in": 1}


def test_with_redis_stopped_scans_still_work_and_dashboards_resync_after(redis_server):
    event = EventFactory(capacity=50)
    people = [make_registrant(event) for _ in range(6)]
    staff = make_user("sam", "checkin_staff")
    token = token_create(user=staff)[1]
    headers = {"Authorization": f"Bearer {token}"}
    env = {"DATABASE_URL": database_url_for_current_test_db(), "REDIS_URL": redis_server.url}
    with uvicorn_server(env=env) as a, uvicorn_server(env=env) as b:
        with open_stream(a, event.pk, session_cookie_for(staff)) as ws:
            next_message(ws, "numbers")
            # Warm the token cache while Redis is up, then take Redis away.
            assert (
                httpx.post(
                    f"{b}/api/v1/scan/",
                    json={"code": people[0].check_in_code, "mode": "desk", "event": event.pk},
                    headers=headers,
                    timeout=10,
                ).status_code
                == 200
            )
            redis_server.stop()
            for person in people[1:4]:
                response = httpx.post(
                    f"{b}/api/v1/scan/",
                    json={"code": person.check_in_code, "mode": "desk", "event": event.pk},
                    headers=headers,
                    timeout=10,
                )
                assert response.status_code == 200, response.text
                assert response.json()["changed"] is True
            assert (
                StatusChange.objects.filter(
                    registrant__in=people[1:4], to_status="checked_in"
                ).count()
                == 3
            )
            redis_server.start()
            for person in people[4:]:
                assert (
                    httpx.post(
                        f"{b}/api/v1/scan/",
                        json={"code": person.check_in_code, "mode": "desk", "event": event.pk},
                        headers=headers,
                        timeout=10,
                    ).status_code
                    == 200
                )
            # Within 5 s of Redis's return the stream shows the true numbers.
            expected = fresh_status_counts(event.pk)
            deadline = time.monotonic() + 5
            while True:
                numbers = next_message(ws, "numbers", timeout=max(0.1, deadline - time.monotonic()))
                if numbers["by_status"] == expected:
                    break
    assert Registrant.objects.filter(event=event, status="checked_in").count() == 6
    assert_invariants([event.pk])
