"""Gateway test fixtures: the app in-process (one event loop per test, its
lifespan run, so that the pool is closed), and real uvicorn processes."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from rest_framework.authtoken.models import Token
from starlette.testclient import TestClient

from gateway import cache, services
from live.tests.servers import database_url_for_current_test_db, free_port

ROOT = Path(__file__).resolve().parents[2]


def pytest_configure(config):
    """A file, not shared-cache memory, for the SQLite test database: the
    gateway's Django thread and the tests' threads write it concurrently
    (as registrants/tests/concurrency/conftest.py explains)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if not database["ENGINE"].endswith("sqlite3"):
        return
    test_settings = database.setdefault("TEST", {})
    if not test_settings.get("NAME"):
        test_settings["NAME"] = os.path.join(
            tempfile.gettempdir(), f"registrant-dashboard-test-{os.getpid()}.sqlite3"
        )


@pytest.fixture(autouse=True)
def _fresh_local_cache():
    cache._local.clear()
    yield
    cache._local.clear()


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
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


@pytest.fixture
def device_key(event, organiser):
    _, key = services.device_create(event_id=event.pk, name="Door A", created_by=organiser)
    return key


@contextlib.contextmanager
def gateway_server(*, workers: int = 1, env: dict[str, str] | None = None):
    """`uvicorn gateway.main:app` on a free port against the test database."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="gateway-", suffix=".log", delete=False)  # noqa: SIM115
    server_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for_current_test_db(),
        "LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "gateway.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
        ],
        cwd=ROOT,
        env=server_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {Path(log.name).read_text()[-3000:]}")
            try:
                httpx.get(f"{base}/gateway/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        text = Path(log.name).read_text(errors="replace")
        os.unlink(log.name)
        assert "Traceback" not in text, text[-3000:]
