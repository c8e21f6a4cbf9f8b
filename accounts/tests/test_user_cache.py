"""The logged-in user kept in Redis under the credentials generation
(accounts.backends.cached_user): one cache round trip instead of a database
one, and any change to who may do what shows on the next request."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from registrants.roles import ORGANISER, VIEWER
from registrants.tests.factories import PASSWORD, make_user

# transaction=True: a change moves the generation after commit.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_users(settings, redis_cache):
    settings.REDIS_URL = redis_cache.url  # the credentials generation lives in Redis
    return redis_cache


def _log_in(username: str, role: str) -> tuple[Client, object]:
    user = make_user(username, role)
    client = Client()
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client, user


def _user_reads(client: Client, path: str = "/") -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        status = client.get(path).status_code
    return status, sum('FROM "auth_user"' in q["sql"] for q in queries.captured_queries)


def test_a_logged_in_users_second_request_reads_them_from_redis(redis_users):
    client, _ = _log_in("cached-organiser", ORGANISER)
    assert _user_reads(client) == (200, 1)  # read, then kept
    assert _user_reads(client) == (200, 0)


def test_a_new_role_shows_on_the_next_request(redis_users):
    client, user = _log_in("cached-viewer", VIEWER)
    assert _user_reads(client, "/events/new/")[0] == 403
    user.groups.add(Group.objects.get(name=ORGANISER))  # moves the generation
    assert _user_reads(client, "/events/new/") == (200, 1)


def test_a_deactivated_user_is_logged_out_on_the_next_request(redis_users):
    client, user = _log_in("cached-leaver", ORGANISER)
    assert _user_reads(client) == (200, 1)
    user.is_active = False
    user.save()
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_with_redis_down_the_user_comes_from_the_database(redis_users):
    client, _ = _log_in("cached-outage", ORGANISER)
    assert _user_reads(client) == (200, 1)
    redis_users.stop()
    assert _user_reads(client) == (200, 1)
    redis_users.start()  # empty: read again, then kept
    assert _user_reads(client) == (200, 1)
    assert _user_reads(client) == (200, 0)
