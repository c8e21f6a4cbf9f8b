"""The contract: POST /gateway/v1/scan answers exactly what POST /api/v1/scan/
answers, and writes exactly the same history rows, for every case.

Each test runs the same scenario twice, on two registrants set up the same
way: once through the DRF endpoint (Django's test client) and once through
the gateway (the ASGI app in-process), with the same user's token, on
committed data (transactional_db), then compares status codes, JSON bodies
(ids and timestamps normalised) and the history rows each wrote. A third
run posts to /api/v1/scan/ through config.asgi, where the gateway's
endpoint answers API scans with a token (gateway.api_scan): the API as the
product serves it.
"""

from __future__ import annotations

import datetime
import re
import uuid
from unittest import mock

import pytest
from rest_framework.test import APIClient

from registrants import services
from registrants.lifecycle import ScanMode, Status
from registrants.models import ScanReceipt, StatusChange
from registrants.tests.factories import EventFactory, make_registrant

from .conftest import bearer, user_token

pytestmark = pytest.mark.django_db(transaction=True)

PATHS = ("api", "gateway", "asgi")
TIME = re.compile(r"\b\d\d:\d\d\b")


@pytest.fixture
def scan(gateway):
    """scan(path, user, body) -> (status, json) through either endpoint."""
    api = APIClient()

    def do(path: str, user, body, headers=None):
        headers = headers if headers is not None else (bearer(user_token(user)) if user else {})
        if path == "api":
            api.credentials(**({"HTTP_AUTHORIZATION": headers["Authorization"]} if headers else {}))
            response = api.post("/api/v1/scan/", body, format="json")
        else:
            url = "/gateway/v1/scan" if path == "gateway" else "/api/v1/scan/"
            response = gateway.post(url, json=body, headers=headers)
        return response.status_code, response.json(), response.headers

    return do


def normalise(body, registrant=None):
    """Ids and times vary between the two runs; everything else must not."""
    if isinstance(body, dict):
        out = {}
        for key, value in body.items():
            if key == "at" and isinstance(value, str):
                out[key] = "<at>"
            elif key == "event":  # the same event on both paths: kept as is
                out[key] = value
            elif key == "id" and registrant is not None and value == registrant.pk:
                out[key] = "<id>"
            else:
                out[key] = normalise(value, registrant)
        return out
    if isinstance(body, list):
        return [normalise(v, registrant) for v in body]
    if isinstance(body, str):
        return TIME.sub("<hh:mm>", body)
    return body


def history(registrant) -> list[tuple]:
    return list(
        StatusChange.objects.filter(registrant=registrant)
        .order_by("id")
        .values_list("from_status", "to_status", "actor_id", "source", "note", "scanned_at")
    )


def both(scan, user, status, mode, *, company=None, code=None, repeat=0, nonce=None, **events):
    """The scenario on each path; returns {path: (status, body, new history rows)}.
    The registrant is of `home` (else a new event); the scan is at its own
    event unless `event` names another."""
    event, home = events.get("event"), events.get("home")
    results = {}
    for path in PATHS:
        registrant = make_registrant(home, name="Ada Lovelace", company=company, status=status)
        before = len(history(registrant))
        body = {
            "code": code if code is not None else registrant.check_in_code,
            "mode": mode,
            "event": event.pk if event is not None else registrant.event_id,
        }
        if nonce:
            body["nonce"] = f"{nonce}-{path}"
        answers = [scan(path, user, body) for _ in range(1 + repeat)]
        rows = history(registrant)[before:]
        results[path] = (
            [(s, normalise(b, registrant)) for s, b, _ in answers],
            rows,
        )
    return results


def assert_same(results):
    api = results["api"]
    for path in PATHS[1:]:
        assert (path, results[path][0]) == (path, api[0])
        assert (path, results[path][1]) == (path, api[1])


@pytest.mark.parametrize("status", [s.value for s in Status])
@pytest.mark.parametrize("mode", [m.value for m in ScanMode])
def test_each_mode_from_each_status(scan, staff, status, mode):
    results = both(scan, staff, status, mode, company="Acme")
    assert_same(results)
    answers, rows = results["gateway"]
    code, _ = answers[0]
    assert code in (200, 409)
    for row in rows:
        assert row[2] == staff.pk and row[3] == "scan"


@pytest.mark.parametrize("mode", [m.value for m in ScanMode])
def test_a_waitlisted_badge_is_refused_on_both_paths_and_writes_nothing(scan, staff, mode):
    results = both(scan, staff, "waitlisted", mode, nonce=uuid.uuid4().hex)
    assert_same(results)
    answers, rows = results["gateway"]
    status, body = answers[0]
    assert status == 409 and body["error"]["code"] == "waitlisted"
    assert body["error"]["details"]["registrant"]["status"] == "waitlisted"
    assert rows == []


@pytest.mark.parametrize("mode", ["desk", "entry", "exit"])
def test_repeat_says_who_and_when(scan, staff, mode):
    start = {"desk": "registered", "entry": "checked_in", "exit": "entered"}[mode]
    results = both(scan, staff, start, mode, repeat=1)
    assert_same(results)
    (first, second), rows = results["gateway"]
    assert first[1]["changed"] is True and second[1]["changed"] is False
    assert second[1]["previous"]["by"] == "sam" and "already" in second[1]["message"]
    assert len(rows) == 1


def test_unknown_code(scan, staff):
    results = both(scan, staff, "registered", "desk", code="no-such-code")
    assert_same(results)
    assert results["gateway"][0][0][0] == 404


def test_nonce_replay_returns_the_first_answer(scan, staff):
    results = both(scan, staff, "registered", "entry", repeat=2, nonce=uuid.uuid4().hex)
    assert_same(results)
    answers, rows = results["gateway"]
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][1]["steps"] == ["checked_in", "entered"]
    assert len(rows) == 2


def test_nonce_replay_of_a_refusal(scan, staff):
    results = both(scan, staff, "cancelled", "desk", repeat=1, nonce=uuid.uuid4().hex)
    assert_same(results)
    assert [a[0] for a in results["gateway"][0]] == [409, 409]


def test_badge_of_another_event(scan, staff):
    elsewhere, home = EventFactory(name="Elsewhere"), EventFactory(name="Last Year")
    results = both(
        scan, staff, "registered", "entry", event=elsewhere, home=home, nonce="other-event"
    )
    assert_same(results)
    answers, rows = results["gateway"]
    status, body = answers[0]
    assert status == 409 and body["error"]["code"] == "wrong_event"
    assert body["error"]["details"]["registrant"]["name"] == "Ada Lovelace"
    assert rows == []
    assert not ScanReceipt.objects.filter(nonce__startswith="other-event").exists()


def test_nonce_reused_for_another_badge(scan, staff):
    for path in PATHS:
        ann, bob = make_registrant(name="Ann"), make_registrant(name="Bob")
        nonce = uuid.uuid4().hex
        first = scan(
            path,
            staff,
            {"code": ann.check_in_code, "mode": "desk", "event": ann.event_id, "nonce": nonce},
        )
        assert first[0] == 200
        before = StatusChange.objects.count()
        status, body, _ = scan(
            path,
            staff,
            {"code": bob.check_in_code, "mode": "desk", "event": bob.event_id, "nonce": nonce},
        )
        assert (path, status, body["error"]["code"]) == (path, 409, "nonce_reused")
        assert "Ann" not in str(body)
        assert StatusChange.objects.count() == before
        bob.refresh_from_db()
        assert bob.status == "registered"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"code": "abc", "mode": "desk"},
        {"code": "abc", "mode": "desk", "event": "1"},
        {"code": "abc", "mode": "desk", "event": 0},
        {"code": "abc", "mode": "desk", "event": True},
        {"code": "abc", "mode": "desk", "event": 2**63},
        {"code": "abc", "mode": "desk", "event": None},
        {"mode": "desk"},
        {"code": "", "mode": "desk"},
        {"code": "   ", "mode": "desk"},
        {"code": "x" * 129, "mode": "desk"},
        {"code": "abc", "mode": "door"},
        {"code": "abc", "mode": None},
        {"code": None, "mode": "desk"},
        {"code": "abc", "mode": "desk", "nonce": ""},
        {"code": "abc", "mode": "desk", "nonce": "n" * 65},
        {"code": "abc\x00", "mode": "desk"},
        {"code": 123, "mode": "desk"},
        ["code", "mode"],
        "desk",
    ],
)
def test_validation_errors(scan, staff, body):
    api = scan("api", staff, body)
    for path in PATHS[1:]:
        assert (path, *scan(path, staff, body)[:2]) == (path, *api[:2])


@pytest.mark.parametrize("case", ["none", "garbage", "basic", "three_parts", "viewer"])
def test_auth_refusals(scan, viewer, case):
    headers = {
        "none": {},
        "garbage": {"Authorization": "Bearer not-a-token"},
        "basic": {"Authorization": "Basic dXNlcjpwYXNz"},
        "three_parts": {"Authorization": "Bearer a b"},
        "viewer": bearer(user_token(viewer)),
    }[case]
    body = {"code": "abc", "mode": "desk"}
    api = scan("api", None, body, headers)
    for path in PATHS[1:]:
        status, answer, response_headers = scan(path, None, body, headers)
        assert (path, status, answer) == (path, *api[:2])
        assert response_headers.get("www-authenticate") == api[2].get("www-authenticate")


def test_wrong_content_type_and_malformed_json(gateway, staff):
    headers = bearer(user_token(staff))
    r = gateway.post(
        "/gateway/v1/scan", content=b"code=x", headers={**headers, "Content-Type": "text/plain"}
    )
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type"
    r = gateway.post(
        "/gateway/v1/scan",
        content=b"{nope",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "malformed_request"
    r = gateway.post(
        "/gateway/v1/scan",
        content=b"x" * (2 * 1024 * 1024),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 413


def test_unknown_gateway_path_is_a_404_in_the_error_shape(gateway):
    r = gateway.get("/gateway/v1/nothing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("event_zone", "checked_in_at_utc", "venue_time"),
    [
        (None, datetime.datetime(2026, 7, 1, 17, 42, tzinfo=datetime.UTC), "18:42"),  # BST
        (None, datetime.datetime(2026, 1, 15, 17, 42, tzinfo=datetime.UTC), "17:42"),  # GMT
        # An event of its own zone, in its summer (EDT) and winter (EST).
        ("America/New_York", datetime.datetime(2026, 7, 1, 17, 42, tzinfo=datetime.UTC), "13:42"),
        ("America/New_York", datetime.datetime(2026, 1, 15, 17, 42, tzinfo=datetime.UTC), "12:42"),
    ],
    ids=["summer", "winter", "event-zone-summer", "event-zone-winter"],
)
def test_a_repeat_says_the_venues_local_time_on_both_paths(
    scan, staff, settings, event_zone, checked_in_at_utc, venue_time
):
    """The whole answer, times included: both paths say the event's local
    time (the deployment's TIME_ZONE unless the event has its own)."""
    settings.TIME_ZONE = "Europe/London"
    answers = {}
    for path in PATHS:
        event = EventFactory(**({"time_zone": event_zone} if event_zone else {}))
        registrant = make_registrant(event, name="Ada Lovelace", company="Acme")
        with mock.patch("django.utils.timezone.now", return_value=checked_in_at_utc):
            services.registrant_change_status(
                registrant_id=registrant.pk, to_status=Status.CHECKED_IN, actor=staff
            )
        body = {"code": registrant.check_in_code, "mode": "desk", "event": registrant.event_id}
        status, answer, _ = scan(path, staff, body)
        assert status == 200
        answer["registrant"].pop("id")
        answers[path] = answer
    assert answers["gateway"] == answers["api"]
    assert answers["api"]["message"] == f"Ada Lovelace: already checked in by sam at {venue_time}."
