"""The gateway through a PostgreSQL outage and a quiet restart, against a
real gateway server and the run's own PostgreSQL server, stopped and started
by the test (testing.servers.LocalPostgres).

While the database is away every scan, batch and credential read answers
503 `service_unavailable` with Retry-After, at once: the server is given a
pool timeout far above the client's, so a request that waited for the pool
would not be answered at all. The first request after the database is back
is answered 200, and nothing is ever a 500 (gateway_server also fails the
test on a traceback in the server's log).
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from gateway import services
from registrants.tests.factories import make_registrant, make_user
from testing.servers import LocalPostgres

from .conftest import bearer, gateway_server, user_token

# Far above the client's timeout (CLIENT_TIMEOUT): a request that waits for
# the pool instead of failing fast is never answered in time.
SERVER_ENV = {"GATEWAY_DB_POOL_TIMEOUT": "600"}
CLIENT_TIMEOUT = 30


@pytest.fixture
def postgres():
    server = LocalPostgres()
    yield server
    server.start_if_stopped()


@pytest.fixture
def gateway_url(transactional_db):
    with gateway_server(env=SERVER_ENV) as url:
        yield url


def new_staff_token() -> str:
    """A token the gateway has never seen (so not in any cache)."""
    from registrants.roles import CHECKIN_STAFF

    return user_token(make_user(f"staff-{uuid.uuid4().hex[:8]}", CHECKIN_STAFF))


def new_device_key(event, organiser) -> str:
    _, key = services.device_create(
        event_id=event.pk, name=f"Door {uuid.uuid4().hex[:6]}", created_by=organiser
    )
    return key


def requests_of_every_kind(person) -> list[tuple[str, dict]]:
    """A scan without nonce, one with a nonce, and a batch, for the person's
    event (a scan names its event)."""
    code, event = person.check_in_code, person.event_id
    return [
        ("/gateway/v1/scan", {"code": code, "mode": "desk", "event": event}),
        (
            "/gateway/v1/scan",
            {"code": code, "mode": "desk", "event": event, "nonce": uuid.uuid4().hex},
        ),
        (
            "/gateway/v1/scan/batch",
            {
                "event": event,
                "items": [
                    {
                        "code": code,
                        "mode": "desk",
                        "nonce": uuid.uuid4().hex,
                        "scanned_at": "2026-01-01T10:00:00Z",
                    }
                ],
            },
        ),
    ]


def post(client: httpx.Client, path: str, body: dict, key: str) -> httpx.Response:
    return client.post(path, json=body, headers=bearer(key))


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "service_unavailable"
    assert response.headers["Retry-After"] == "2"


@pytest.mark.parametrize("path", ["/gateway/v1/scan", "/gateway/v1/scan/batch"])
def test_a_credential_read_from_a_database_that_cannot_be_opened_answers_503(tmp_path, path):
    """The embedded default's credential read (the Django thread, SQLite)
    failing: 503 in the error shape, not 500."""
    missing = tmp_path / "no-such-directory" / "db.sqlite3"
    with gateway_server(env={"DATABASE_URL": f"sqlite:///{missing}", "REDIS_URL": ""}) as url:
        response = httpx.post(
            url + path, json={}, headers=bearer("never-seen"), timeout=CLIENT_TIMEOUT
        )
    assert_unavailable(response)


@pytest.mark.postgres
def test_credentials_not_cached_while_the_database_is_down_answer_503_at_once(
    gateway_url, postgres, event, organiser, staff
):
    person = make_registrant(event)
    warm = user_token(staff)
    tokens = [new_staff_token() for _ in range(3)]
    devices = [new_device_key(event, organiser) for _ in range(3)]
    with httpx.Client(base_url=gateway_url, timeout=CLIENT_TIMEOUT) as client:
        # The pool holds live connections, which the outage kills.
        for path, body in requests_of_every_kind(person):
            assert post(client, path, body, warm).status_code == 200
        postgres.stop()
        for key in tokens + devices:
            for path, body in requests_of_every_kind(person):
                assert_unavailable(post(client, path, body, key))
        # Known credentials (cached) fail fast too, on the scan itself.
        for path, body in requests_of_every_kind(person):
            assert_unavailable(post(client, path, body, warm))
        postgres.start()
        # The first request after the database is back is served.
        for key in (tokens[0], devices[0], warm):
            for path, body in requests_of_every_kind(person):
                response = post(client, path, body, key)
                assert response.status_code == 200, response.text


@pytest.mark.postgres
def test_a_gateway_started_while_the_database_is_down_answers_503_then_serves_it(
    transactional_db, postgres, event, staff
):
    person = make_registrant(event)
    key = user_token(staff)
    postgres.stop()
    with (
        gateway_server(env=SERVER_ENV) as url,
        httpx.Client(base_url=url, timeout=CLIENT_TIMEOUT) as client,
    ):
        for _ in range(3):
            for path, body in requests_of_every_kind(person):
                assert_unavailable(post(client, path, body, key))
        postgres.start()
        for path, body in requests_of_every_kind(person):
            response = post(client, path, body, key)
            assert response.status_code == 200, response.text


@pytest.mark.postgres
@pytest.mark.parametrize("credential", ["user token", "device key"])
def test_the_first_requests_after_a_quiet_restart_are_served(
    gateway_url, postgres, event, organiser, staff, credential
):
    person = make_registrant(event)
    key = user_token(staff) if credential == "user token" else new_device_key(event, organiser)
    with httpx.Client(base_url=gateway_url, timeout=CLIENT_TIMEOUT) as client:
        for path, body in requests_of_every_kind(person):
            assert post(client, path, body, key).status_code == 200
        # No traffic while the database restarts.
        postgres.stop()
        postgres.start()
        fresh = (
            new_staff_token() if credential == "user token" else new_device_key(event, organiser)
        )
        for who in (key, fresh):
            for path, body in requests_of_every_kind(person):
                response = post(client, path, body, who)
                assert response.status_code == 200, (path, body, response.text)
