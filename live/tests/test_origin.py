"""Which pages may open the live stream (config.asgi's websocket stack, the
session cookie of a logged-in organiser): the site's own origin, port and
scheme included, or one of CSRF_TRUSTED_ORIGINS (live/origin.py)."""

from __future__ import annotations

import uuid

import pytest
from channels.testing import WebsocketCommunicator

from registrants.tests.factories import EventFactory, make_user
from testing.servers import session_cookie_for

from .test_consumers import run

pytestmark = pytest.mark.django_db(transaction=True)


def outcome(headers: dict[str, str]) -> tuple[bool, int | None]:
    """(connected, close code) of a logged-in organiser's websocket."""
    from config.asgi import application

    event = EventFactory()
    cookie = session_cookie_for(make_user(f"olga-{uuid.uuid4().hex[:8]}", "organiser"))
    raw = [(k.encode(), v.encode()) for k, v in {**headers, "cookie": cookie}.items()]
    result = []

    async def scenario():
        comm = WebsocketCommunicator(application, f"/ws/events/{event.pk}/", headers=raw)
        result.append(await comm.connect(timeout=5))
        await comm.disconnect()

    run(scenario)
    return result[0]


@pytest.mark.parametrize(
    "host, origin",
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("localhost:8000", "http://LOCALHOST:8000"),
        ("testserver", "http://testserver"),
        ("testserver", "http://testserver:80"),
    ],
)
def test_the_pages_own_origin_may_listen(host, origin):
    assert outcome({"host": host, "origin": origin})[0]


@pytest.mark.parametrize(
    "host, origin",
    [
        # Another program on the same host, on another port.
        ("127.0.0.1:8000", "http://127.0.0.1:9999"),
        ("127.0.0.1:8000", "http://127.0.0.1"),
        ("localhost:8000", "http://localhost:8001"),
        # Same host and port, other scheme.
        ("127.0.0.1:8000", "https://127.0.0.1:8000"),
        # Another site; a Host that is not allowed; no Origin at all.
        ("127.0.0.1:8000", "http://evil.example"),
        ("evil.example", "http://evil.example"),
        ("127.0.0.1:8000", None),
        ("127.0.0.1:8000", "null"),
    ],
)
def test_another_origin_is_refused(host, origin):
    headers = {"host": host} if origin is None else {"host": host, "origin": origin}
    assert not outcome(headers)[0]


def test_behind_a_tls_proxy_the_https_origin_is_the_pages_own(settings):
    settings.ALLOWED_HOSTS = ["dash.example.com"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxied = {"host": "dash.example.com", "x-forwarded-proto": "https"}
    assert outcome({**proxied, "origin": "https://dash.example.com"})[0]
    assert not outcome({**proxied, "origin": "http://dash.example.com"})[0]
    assert not outcome({**proxied, "origin": "https://dash.example.com:8443"})[0]


def test_a_proxy_that_rewrites_the_host_uses_the_trusted_origins(settings):
    settings.ALLOWED_HOSTS = ["app.internal"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://dash.example.com", "https://*.example.org"]
    assert outcome({"host": "app.internal", "origin": "https://dash.example.com"})[0]
    assert outcome({"host": "app.internal", "origin": "https://doors.example.org"})[0]
    assert not outcome({"host": "app.internal", "origin": "https://dash.example.com:444"})[0]
    assert not outcome({"host": "app.internal", "origin": "http://dash.example.com"})[0]
    assert not outcome({"host": "app.internal", "origin": "https://example.org.evil.test"})[0]
