"""The gateway's near cache over Redis: what it saves and what it may not
lose (a revocation, the shared throttle count)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis

from gateway import cache

pytestmark = pytest.mark.postgres  # the PostgreSQL run is the one with Redis


@pytest.fixture
def redis_url(settings):
    if not settings.REDIS_URL:
        pytest.fail("REDIS_URL is needed for the near-cache tests")
    settings.GATEWAY_NEAR_CACHE_SECONDS = 0.3
    return settings.REDIS_URL


def shared_count(url: str, token_hash: str, window: str) -> int:
    client = redis.Redis.from_url(url)
    try:
        return int(client.get(cache.THROTTLE + token_hash + ":" + window) or 0)
    finally:
        client.close()


def run(coro):
    return asyncio.run(coro)


def test_repeat_lookups_stay_local_and_their_count_reaches_redis_on_the_next_read(redis_url):
    token, window = uuid.uuid4().hex, "w1"
    store = cache.RedisStore(redis_url)
    principal = {"u": 1, "n": "Door A", "e": 7, "d": 3, "s": True}

    async def scenario():
        await store.remember(token, principal)
        first = await store.lookup(token, window, 60)
        counts = [(await store.lookup(token, window, 60))[2] for _ in range(4)]
        local_only = shared_count(redis_url, token, window)
        await asyncio.sleep(0.35)
        after = await store.lookup(token, window, 60)
        await store.close()
        return first, counts, local_only, after

    first, counts, local_only, after = run(scenario())
    assert first == (principal, False, 1)
    assert counts == [2, 3, 4, 5]  # this process counts every scan
    assert local_only == 1  # ... without a round trip each
    assert after[2] == 6 and shared_count(redis_url, token, window) == 6


def test_another_process_sees_this_ones_count_within_the_near_time(redis_url):
    token, window = uuid.uuid4().hex, "w2"
    a, b = cache.RedisStore(redis_url), cache.RedisStore(redis_url)

    async def scenario():
        await a.remember(token, {"u": 1, "n": "A", "e": None, "d": None, "s": True})
        for _ in range(10):
            await a.lookup(token, window, 60)
        await asyncio.sleep(0.35)
        await a.lookup(token, window, 60)  # a's next read hands its 10 over
        seen_by_b = (await b.lookup(token, window, 60))[2]
        await a.close()
        await b.close()
        return seen_by_b

    assert run(scenario()) == 12


def test_a_revocation_elsewhere_is_refused_after_the_near_time(redis_url):
    token, window = uuid.uuid4().hex, "w3"
    here = cache.RedisStore(redis_url)
    elsewhere = cache.RedisStore(redis_url)

    async def scenario():
        await here.remember(token, {"u": 1, "n": "A", "e": None, "d": None, "s": True})
        assert (await here.lookup(token, window, 60))[1] is False
        elsewhere.forget(token)  # the revoking process (Django, sync)
        soon = (await here.lookup(token, window, 60))[1]
        await asyncio.sleep(0.35)
        later = [(await here.lookup(token, window, 60))[:2] for _ in range(3)]
        await here.close()
        return soon, later

    soon, later = run(scenario())
    assert soon is False  # still inside this process's near time
    assert later == [(None, True)] * 3


def test_a_revocation_in_this_process_is_refused_at_once(redis_url):
    token, window = uuid.uuid4().hex, "w4"
    store = cache.RedisStore(redis_url)

    async def scenario():
        await store.remember(token, {"u": 1, "n": "A", "e": None, "d": None, "s": True})
        await store.lookup(token, window, 60)
        store.forget(token)
        result = await store.lookup(token, window, 60)
        await store.close()
        return result

    assert run(scenario())[:2] == (None, True)
