"""The broker-down tests' Celery client: it publishes to a private
redis-server (conftest's `redis_server`) that the test stops and starts
again, whatever this run's settings say. No worker: what matters is whether
a task message leaves, which `published` counts. An app's tests/conftest.py
imports `broker` to offer the fixture; its tests import the helpers.
"""

from __future__ import annotations

import pytest
import redis

from config.celery_app import app


def forget_connections(celery_app=app) -> None:
    """Drop Celery's pooled connections, so the next publish connects again
    (to a restarted server, or to the private one at all)."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker(redis_server, settings, monkeypatch):
    """Celery sends to the private Redis; yields the server (stop(), start())."""
    settings.IMPORT_RUNNER = "celery"
    monkeypatch.setattr(app.conf, "broker_url", redis_server.url)
    monkeypatch.setattr(app.conf, "task_always_eager", False)
    forget_connections()
    yield redis_server
    forget_connections()


def published(server) -> int:
    """Task messages waiting in the server's default queue."""
    return redis.Redis.from_url(server.url).llen("celery")
