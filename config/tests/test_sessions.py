"""The session store with Redis (config/sessions.py): sessions are read from
Redis, kept in the table, and keep working while Redis is down."""

from __future__ import annotations

import pytest
import redis
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from config.sessions import KEY_PREFIX
from registrants.roles import ORGANISER
from registrants.tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_sessions(settings, redis_cache):
    settings.SESSION_ENGINE = "config.sessions"
    settings.SESSION_CACHE_SECONDS = 120
    return redis_cache


def _log_in() -> Client:
    user = make_user("store-organiser", ORGANISER)
    client = Client()
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return client


def _session_reads(client: Client, path: str = "/api/v1/events/") -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return sum("django_session" in q["sql"] for q in queries.captured_queries)


def test_a_session_is_read_from_redis_and_its_copy_expires(redis_sessions):
    client = _log_in()
    assert _session_reads(client) == 0
    key = client.cookies["sessionid"].value
    ttls = [
        redis.Redis.from_url(redis_sessions.url).ttl(k)
        for k in redis.Redis.from_url(redis_sessions.url).keys(f"*{KEY_PREFIX}{key}")
    ]
    assert len(ttls) == 1 and 0 < ttls[0] <= 120


def test_with_redis_down_sessions_come_from_the_table(redis_sessions):
    client = _log_in()
    redis_sessions.stop()
    assert _session_reads(client) == 1  # from the table, no 500
    cookie = client.cookies["sessionid"].value
    assert client.post("/logout/").status_code in (200, 302)
    replay = Client()
    replay.cookies["sessionid"] = cookie
    assert replay.get("/api/v1/events/").status_code in (401, 403)
    again = Client()
    user = "store-organiser"
    assert again.post("/login/", {"username": user, "password": PASSWORD}).status_code == 302
    assert again.get("/api/v1/events/").status_code == 200


def test_after_redis_comes_back_the_table_fills_it_again(redis_sessions):
    client = _log_in()
    redis_sessions.stop()
    assert _session_reads(client) == 1
    redis_sessions.start()  # empty: it keeps nothing on disk
    assert _session_reads(client) == 1  # read from the table, copied to Redis
    assert _session_reads(client) == 0


def test_sessions_of_every_connection_share_one_cache_object(redis_sessions):
    """Under ASGI each websocket's scope keeps its session: a cache object
    per context (`caches[...]`) was a Redis connection pool per socket."""
    import asyncio

    from asgiref.sync import sync_to_async

    from config.sessions import SessionStore

    async def connections():
        return await asyncio.gather(*(sync_to_async(SessionStore)() for _ in range(3)))

    stores = asyncio.run(connections())
    assert len({id(store._cache) for store in stores}) == 1
