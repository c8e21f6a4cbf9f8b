"""Gateway test fixtures: the app in-process (one event loop per test, its
lifespan run, so that the pool is closed), and real uvicorn processes."""

from __future__ import annotations

import contextlib

import pytest
from starlette.testclient import TestClient

from accounts.tokens import token_create
from gateway import cache, services
from testing.servers import (
    UvicornServer,
    database_url_for_current_test_db,
    use_a_file_for_the_sqlite_test_db,
)


def pytest_configure(config):
    """A file, not shared-cache memory, for the SQLite test database: the
    gateway's Django thread and the tests' threads write it concurrently
    (as registrants/tests/concurrency/conftest.py explains)."""
    use_a_file_for_the_sqlite_test_db()


@pytest.fixture(autouse=True)
def _fresh_local_cache():
    cache.clear_process_caches()
    yield
    cache.clear_process_caches()


@pytest.fixture
def gateway():
    """A TestClient on config.asgi's application (the gateway mounted under
    /gateway/, Django beside it), lifespan included."""
    from config.asgi import application

    with TestClient(application, base_url="http://testserver") as client:
        yield client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def user_token(user) -> str:
    return token_create(user=user)[1]


@pytest.fixture
def device_key(event, organiser):
    _, key = services.device_create(event_id=event.pk, name="Door A", created_by=organiser)
    return key


@contextlib.contextmanager
def gateway_server(*, workers: int = 1, env: dict[str, str] | None = None):
    """`uvicorn gateway.main:app` on a free port against the test database;
    yields the base URL. A traceback in its log fails the test."""
    server = UvicornServer(
        app="gateway.main:app",
        ready_path="/gateway/openapi.json",
        workers=workers,
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url_for_current_test_db(),
            "LOG_LEVEL": "WARNING",
            **(env or {}),
        },
    )
    with server:
        yield server.url
        server.stop()
        text = server.log_text()
    assert "Traceback" not in text, text[-3000:]
