"""One cache object per process (config/cache.py): under ASGI each request
runs in a context of its own, and `caches[...]` built a cache object, a
Redis connection pool and a TCP connection per request."""

from __future__ import annotations

import asyncio

import pytest
import redis
from django.test import AsyncClient

from accounts.tokens import token_create
from registrants.roles import ORGANISER
from registrants.tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def _connections_received(url: str) -> int:
    return int(redis.Redis.from_url(url).info("stats")["total_connections_received"])


def test_api_calls_through_asgi_share_one_redis_connection_pool(redis_cache):
    """Twenty token-authenticated API calls, each in a task (a context) of
    its own as uvicorn runs them: the token cache and the generation read
    Redis through one pool, so the calls open at most a couple of
    connections, not one each."""
    _, key = token_create(user=make_user("cache-organiser", ORGANISER))
    client = AsyncClient()
    headers = {"Authorization": f"Token {key}"}

    async def calls():
        return await asyncio.gather(
            *(
                asyncio.create_task(client.get("/api/v1/events/", headers=headers))
                for _ in range(20)
            )
        )

    before = _connections_received(redis_cache.url)
    answers = asyncio.run(calls())
    opened = _connections_received(redis_cache.url) - before - 1  # this count's own
    assert [a.status_code for a in answers] == [200] * 20, answers[0].content[:300]
    assert opened <= 3, f"{opened} Redis connections for 20 calls"
