"""The gateway app's own answers around the scan endpoints, which it serves
before FastAPI's middleware and routing (gateway.app.GatewayApp; the
answers and the error log are gateway.plumbing's)."""

from __future__ import annotations

import logging
from typing import get_args

import pytest

from gateway import db
from gateway.schemas import ModeName, StatusName
from registrants.lifecycle import ScanMode, Status

from .conftest import bearer, user_token

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("path", ["/gateway/v1/scan", "/gateway/v1/scan/batch"])
def test_an_unexpected_error_is_a_logged_500_in_the_error_shape(
    gateway, staff, monkeypatch, caplog, path
):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(db, "backend", broken)
    body = (
        {"code": "X", "mode": "desk", "event": 1}
        if path.endswith("scan")
        else {
            "event": 1,
            "items": [
                {"code": "X", "mode": "desk", "nonce": "n1", "scanned_at": "2026-11-26T18:00:00Z"}
            ],
        }
    )
    with caplog.at_level(logging.ERROR, logger="gateway.plumbing"):
        response = gateway.post(path, json=body, headers=bearer(user_token(staff)))
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert "boom" in caplog.text


def test_other_methods_on_the_scan_path_still_get_the_error_shape(gateway, staff):
    response = gateway.get("/gateway/v1/scan", headers=bearer(user_token(staff)))
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_the_scan_endpoints_are_still_documented(gateway):
    paths = gateway.get("/gateway/openapi.json").json()["paths"]
    assert "post" in paths["/gateway/v1/scan"] and "post" in paths["/gateway/v1/scan/batch"]


def asgi_post(path: str, headers: list[tuple[bytes, bytes]], messages: list[dict]):
    """POST through gateway.app's application object as a server would call
    it, the body arriving as `messages`; returns what the app sent."""
    import asyncio

    from gateway.app import create_app

    app = create_app()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8001),
    }
    incoming, sent = list(messages), []

    async def receive():
        return incoming.pop(0)

    async def send(message):
        sent.append(message)

    async def scenario():
        try:
            await app(scope, receive, send)
        finally:
            await db.close()

    asyncio.run(scenario())
    return sent


def test_a_body_in_several_parts_is_read_whole_and_answered_in_one_head(staff, event):
    """The scan endpoints read the ASGI messages themselves (RawRequest) and
    answer without Starlette's Response (Answer)."""
    from registrants.tests.factories import make_registrant

    registrant = make_registrant(event)
    body = b'{"code": "%s", "mode": "desk", "event": %d}' % (
        registrant.check_in_code.encode(),
        event.pk,
    )
    parts = [body[:5], body[5:20], body[20:]]
    headers = [
        (b"host", b"testserver"),
        (b"authorization", b"Bearer " + user_token(staff).encode()),
        (b"content-type", b"application/json"),
        (b"content-length", b"%d" % len(body)),
    ]
    sent = asgi_post(
        "/gateway/v1/scan",
        headers,
        [
            {"type": "http.request", "body": part, "more_body": n < len(parts) - 1}
            for n, part in enumerate(parts)
        ],
    )
    start, answer = sent
    assert start["status"] == 200
    headers = dict(start["headers"])
    assert len(headers.pop(b"x-request-id")) == 32  # a new id: none was sent
    assert headers == {
        b"content-type": b"application/json",
        b"content-length": b"%d" % len(answer["body"]),
    }
    assert b'"changed":true' in answer["body"]
    registrant.refresh_from_db()
    assert registrant.status == "checked_in"


def test_a_client_gone_before_its_body_gets_no_answer_and_no_error(staff, caplog):
    headers = [
        (b"authorization", b"Bearer " + user_token(staff).encode()),
        (b"content-type", b"application/json"),
    ]
    with caplog.at_level(logging.ERROR, logger="gateway.plumbing"):
        sent = asgi_post("/gateway/v1/scan", headers, [{"type": "http.disconnect"}])
    assert sent == []
    assert "gateway error" not in caplog.text


def test_a_refusal_carries_its_own_headers():
    sent = asgi_post(
        "/gateway/v1/scan",
        [(b"content-type", b"application/json")],
        [{"type": "http.request", "body": b'{"code": "x", "mode": "desk"}'}],
    )
    start, answer = sent
    assert start["status"] == 401
    assert (b"www-authenticate", b'Bearer realm="api"') in start["headers"]
    assert b'"not_authenticated"' in answer["body"]


@pytest.mark.postgres
def test_a_group_connection_killed_between_groups_is_replaced(gateway, staff, event):
    """The group statements keep their pool connection between groups. When
    the database drops its connections, the next group sees that before
    using it (gateway.outage: the server's goodbye is waiting on the
    socket), gives it back to be discarded, has the pool test its idle ones
    and is answered on a live connection."""
    from django.db import connection

    from registrants.tests.factories import make_registrant

    people = [make_registrant(event) for _ in range(3)]
    headers = bearer(user_token(staff))

    def scan(person):
        body = {"code": person.check_in_code, "mode": "desk", "event": event.pk}
        return gateway.post("/gateway/v1/scan", json=body, headers=headers)

    assert scan(people[0]).status_code == 200
    with connection.cursor() as cursor:
        # With a timeout it returns once they have ended (else it only
        # signals them): on a busy machine the next group could take a
        # connection whose backend has not ended yet, and see it end mid-use.
        cursor.execute(
            "SELECT pg_terminate_backend(pid, 30000) FROM pg_stat_activity "
            "WHERE application_name = 'gateway' AND pid <> pg_backend_pid()"
        )
    assert scan(people[1]).status_code == 200
    assert scan(people[2]).status_code == 200


def test_the_documented_statuses_and_modes_are_the_lifecycles():
    """The OpenAPI models spell the names out (a Literal must); they must
    still be the lifecycle's, in its order."""
    assert list(get_args(StatusName)) == Status.values
    assert list(get_args(ModeName)) == ScanMode.values
