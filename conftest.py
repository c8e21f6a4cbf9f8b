"""Fixtures shared by every test: users per role, API clients, invariants, a
private Redis. Server processes come from testing/servers.py."""

from __future__ import annotations

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.tokens import token_create
from registrants.roles import CHECKIN_STAFF, ORGANISER, VIEWER
from registrants.tests.factories import EventFactory, make_user
from testing import fast_flush
from testing.servers import RedisServer


def pytest_configure(config):
    # DELETE instead of TRUNCATE after transactional tests on PostgreSQL.
    fast_flush.install()


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need PostgreSQL; on SQLite they are deselected
    (reported as such), never skipped silently; those marked `sqlite` alike
    on PostgreSQL."""
    from django.conf import settings

    other = (
        "sqlite" if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else "postgres"
    )
    selected, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker(other) else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture
def organiser(db):
    return make_user("olga", ORGANISER)


@pytest.fixture
def staff(db):
    return make_user("sam", CHECKIN_STAFF)


@pytest.fixture
def viewer(db):
    return make_user("vera", VIEWER)


def client_for(user, keyword: str = "Bearer") -> APIClient:
    """An API client authenticated with a new token of the user (anonymous
    for None); `keyword` is the Authorization scheme, for tests of other
    ones. A new token each time: a stored token's key cannot be read back."""
    client = APIClient()
    if user is not None:
        _, key = token_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")
    return client


@pytest.fixture
def org_client(organiser):
    return client_for(organiser)


@pytest.fixture
def staff_client(staff):
    return client_for(staff)


@pytest.fixture
def viewer_client(viewer):
    return client_for(viewer)


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def event(db):
    return EventFactory()


@pytest.fixture
def redis_server():
    """A private redis-server, which the test may stop and start again."""
    with RedisServer() as server:
        yield server


@pytest.fixture
def redis_cache(settings, redis_server):
    """The default cache on a private redis-server, with the backend and
    timeouts the settings give Redis; returns the server."""
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.ReusingRedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    return redis_server


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"
