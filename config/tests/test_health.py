"""Probes: /healthz and /readyz on the web app, /gateway/healthz and
/gateway/readyz on the gateway. Readiness names the failing part with 503."""

from __future__ import annotations

import time

import httpx
import pytest
from django.db import connection, connections
from django.db.migrations.recorder import MigrationRecorder
from starlette.testclient import TestClient

from testing.servers import (
    ThrowawayPostgres,
    UvicornServer,
    database_url_for_current_test_db,
    free_port,
)

DEAD_REDIS = f"redis://127.0.0.1:{free_port()}/0"


@pytest.fixture
def gateway():
    from config.asgi import application

    with TestClient(application, base_url="http://testserver") as client:
        yield client


def test_healthz_is_alive_without_touching_the_database(client):
    # No django_db mark: any database access here would raise.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


@pytest.mark.django_db
def test_readyz_is_ready_when_database_redis_and_migrations_are(client, settings):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    assert checks["database"] == "ok" and checks["migrations"] == "ok"
    assert ("redis" in checks) == bool(settings.REDIS_URL)


@pytest.mark.django_db
def test_readyz_answers_probes_by_ip_over_plain_http(client, settings):
    """A load balancer names the node by its address, over HTTP: neither the
    host check nor the HTTPS redirect may turn the probe away."""
    settings.ALLOWED_HOSTS = ["dashboard.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/readyz", HTTP_HOST="10.0.3.17:8000").status_code == 200
    assert client.get("/healthz", HTTP_HOST="10.0.3.17:8000").status_code == 200


@pytest.mark.django_db
def test_readyz_is_503_naming_migrations_when_one_is_not_applied(client):
    MigrationRecorder.Migration.objects.filter(app="registrants").order_by("-id")[:1].get().delete()
    response = client.get("/readyz")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "not_ready"
    assert error["details"]["failing"] == ["migrations"]


@pytest.mark.django_db
def test_migrations_answer_is_kept_after_the_first_success(client, django_assert_num_queries):
    assert client.get("/readyz").status_code == 200
    with django_assert_num_queries(1):  # SELECT 1 only
        assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_is_503_naming_redis_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = DEAD_REDIS
    response = client.get("/readyz")
    assert response.status_code == 503
    details = response.json()["error"]["details"]
    assert details["failing"] == ["redis"]
    assert details["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_an_outage_is_logged_once_not_at_every_probe(client, settings, caplog):
    settings.REDIS_URL = DEAD_REDIS
    for _ in range(3):
        assert client.get("/readyz").status_code == 503
    assert [r.getMessage() for r in caplog.records if r.name == "config.health"] == [
        "not ready: Redis does not answer (ConnectionError)"
    ]
    assert client.get("/readyz").json()["error"]["message"] == "Not ready: Redis does not answer."


def test_gateway_healthz_is_alive(gateway):
    response = gateway.get("/gateway/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


@pytest.mark.django_db(transaction=True)
def test_gateway_readyz_is_ready(gateway):
    response = gateway.get("/gateway/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_gateway_readyz_is_503_naming_redis_when_redis_is_unreachable(gateway, settings):
    settings.REDIS_URL = DEAD_REDIS
    response = gateway.get("/gateway/readyz")
    assert response.status_code == 503
    assert response.json()["error"]["details"]["failing"] == ["redis"]


def test_probes_are_not_in_the_gateway_schema(gateway):
    paths = gateway.get("/gateway/openapi.json").json()["paths"]
    assert not [p for p in paths if p.endswith(("healthz", "readyz"))]


def _wait_for(url: str, status: int, timeout: float = 30) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = httpx.get(url, timeout=5)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_readiness_is_503_while_postgresql_is_stopped_and_200_when_it_returns():
    """Real server processes (the web app and the gateway) against the test
    PostgreSQL, which is stopped and started again under them (F2)."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for_current_test_db(),
        "LOG_LEVEL": "WARNING",
    }
    postgres = ThrowawayPostgres()
    with (
        UvicornServer(env=env, ready_path="/healthz") as web,
        UvicornServer(env=env, app="gateway.main:app", ready_path="/gateway/healthz") as gate,
    ):
        probes = {"web": f"{web.url}/readyz", "gateway": f"{gate.url}/gateway/readyz"}
        for url in probes.values():
            assert _wait_for(url, 200).status_code == 200
        with postgres.stopped():
            connections.close_all()
            for name, url in probes.items():
                response = httpx.get(url, timeout=10)
                assert response.status_code == 503, (name, response.text)
                assert response.json()["error"]["details"]["failing"][0] == "database", name
                # Alive all the same: the orchestrator must not kill it.
                alive = httpx.get(url.replace("readyz", "healthz"), timeout=5)
                assert alive.status_code == 200
        for name, url in probes.items():
            response = _wait_for(url, 200)
            assert response.status_code == 200, (name, response.text)
    connection.close()
