"""The gateway's near cache over Redis: what it saves and what it may not
lose (a revocation, the shared throttle count)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis
from django.core.cache import cache as django_cache

from accounts import generation
from gateway import cache

pytestmark = pytest.mark.postgres  # the PostgreSQL run is the one with Redis

GEN = 7  # the credentials generation these tests run under (accounts.generation)
# as gateway.scan.Principal, with the generation it was read under
PRINCIPAL = {"u": 1, "n": "A", "e": None, "d": None, "s": True, "g": GEN}
# The near time N for these tests. A test that sleeps "past N" must still
# run its next lookup before 2N: half a second of slack for a busy machine
# (with N = 0.3 and 0.35 s sleeps, a loaded CI run could cross 2N).
NEAR = 0.5
PAST_NEAR = NEAR + 0.05
PAST_TWICE_NEAR = 2 * NEAR + 0.05


@pytest.fixture
def redis_url(settings):
    if not settings.REDIS_URL:
        pytest.fail("REDIS_URL is needed for the near-cache tests")
    settings.GATEWAY_NEAR_CACHE_SECONDS = NEAR
    django_cache.set(generation.CACHE_KEY, GEN, None)
    return settings.REDIS_URL


def shared_count(url: str, token_hash: str, window: str) -> int:
    client = redis.Redis.from_url(url)
    try:
        return int(client.get(cache.THROTTLE + token_hash + ":" + window) or 0)
    finally:
        client.close()


def run(coro):
    return asyncio.run(coro)


async def refreshed(store: cache.RedisStore, token_hash: str) -> None:
    """Wait for the background read of this token's near entry, if one runs."""
    near = store._near.get(token_hash)
    if near is not None and near.refresh is not None:
        await near.refresh


def test_repeat_lookups_stay_local_and_their_count_reaches_redis_on_the_next_read(redis_url):
    token, window = uuid.uuid4().hex, "w1"
    store = cache.RedisStore(redis_url)
    principal = {"u": 1, "n": "Door A", "e": 7, "d": 3, "s": True, "g": GEN}

    async def scenario():
        await store.remember(token, principal)
        first = await store.lookup(token, window, 60)
        counts = [(await store.lookup(token, window, 60))[2] for _ in range(4)]
        local_only = shared_count(redis_url, token, window)
        await asyncio.sleep(PAST_NEAR)
        after = await store.lookup(token, window, 60)
        before_refresh = shared_count(redis_url, token, window)
        await refreshed(store, token)
        after_refresh = shared_count(redis_url, token, window)
        await store.close()
        return first, counts, local_only, after, before_refresh, after_refresh

    first, counts, local_only, after, before_refresh, after_refresh = run(scenario())
    assert first == (principal, False, 1, GEN)
    assert counts == [2, 3, 4, 5]  # this process counts every scan
    assert local_only == 1  # ... without a round trip each
    # Past the near time the request is answered from here at once; the read
    # that hands the five local scans over runs behind it.
    assert after == (principal, False, 6, GEN)
    assert before_refresh == 1 and after_refresh == 6


def test_another_process_sees_this_ones_count_within_the_near_time(redis_url):
    token, window = uuid.uuid4().hex, "w2"
    a, b = cache.RedisStore(redis_url), cache.RedisStore(redis_url)

    async def scenario():
        await a.remember(token, PRINCIPAL)
        for _ in range(10):
            await a.lookup(token, window, 60)
        await asyncio.sleep(PAST_NEAR)
        await a.lookup(token, window, 60)  # a's next read hands its 11 over
        await refreshed(a, token)
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
        await here.remember(token, PRINCIPAL)
        assert (await here.lookup(token, window, 60))[1] is False
        elsewhere.forget(token)  # the revoking process (Django, sync)
        soon = (await here.lookup(token, window, 60))[:2]
        await asyncio.sleep(PAST_NEAR)
        # The first request past the near time is still answered from here;
        # the read it starts finds the marker, and from then on: refused.
        stale = (await here.lookup(token, window, 60))[:2]
        await refreshed(here, token)
        later = [(await here.lookup(token, window, 60))[:2] for _ in range(3)]
        await here.close()
        return soon, stale, later

    soon, stale, later = run(scenario())
    assert soon == (PRINCIPAL, False)  # still inside this process's near time
    assert stale == (PRINCIPAL, False)
    assert later == [(None, True)] * 3


def test_an_entry_idle_past_twice_the_near_time_is_read_before_answering(redis_url):
    """The bound on a revocation elsewhere: however the requests fall, a
    token is never admitted on what this process read more than 2N ago."""
    token, window = uuid.uuid4().hex, "w5"
    here = cache.RedisStore(redis_url)

    async def scenario():
        await here.remember(token, PRINCIPAL)
        await here.lookup(token, window, 60)
        cache.RedisStore(redis_url).forget(token)
        await asyncio.sleep(PAST_TWICE_NEAR)  # no request meanwhile
        first = (await here.lookup(token, window, 60))[:2]
        await here.close()
        return first

    assert run(scenario()) == (None, True)


def test_a_new_throttle_window_counts_from_zero_and_reaches_redis(redis_url):
    token = uuid.uuid4().hex
    store = cache.RedisStore(redis_url)

    async def scenario():
        await store.remember(token, PRINCIPAL)
        for _ in range(3):
            await store.lookup(token, "w6", 60)
        in_new = [(await store.lookup(token, "w7", 60))[2] for _ in range(2)]
        await refreshed(store, token)
        await store.close()
        return in_new

    assert run(scenario()) == [1, 2]
    # The old window kept what its read counted; the new one got both its
    # scans with the read that the window change started.
    assert shared_count(redis_url, token, "w6") == 1
    assert shared_count(redis_url, token, "w7") == 2


def test_a_failed_background_read_keeps_the_entry_until_it_is_stale(redis_url):
    token, window = uuid.uuid4().hex, "w8"
    store = cache.RedisStore(redis_url)

    async def scenario():
        await store.remember(token, PRINCIPAL)
        await store.lookup(token, window, 60)
        store.url, store._clients = "redis://127.0.0.1:1/0", {}  # Redis gone
        await asyncio.sleep(PAST_NEAR)
        stale = await store.lookup(token, window, 60)
        await refreshed(store, token)  # fails, logged
        still = await store.lookup(token, window, 60)
        await asyncio.sleep(NEAR)  # now past 2N since the last read
        try:
            await store.lookup(token, window, 60)
        except redis.exceptions.ConnectionError:
            gone = "outage reaches the caller"
        else:
            gone = "answered from a stale entry"
        await store.close()
        return stale, still, gone

    stale, still, gone = run(scenario())
    assert stale == (PRINCIPAL, False, 2, GEN) and still == (PRINCIPAL, False, 3, GEN)
    assert gone == "outage reaches the caller"  # gateway.auth then reads the database


def test_a_revocation_in_this_process_is_refused_at_once(redis_url):
    token, window = uuid.uuid4().hex, "w4"
    store = cache.RedisStore(redis_url)

    async def scenario():
        await store.remember(token, PRINCIPAL)
        await store.lookup(token, window, 60)
        store.forget(token)
        result = await store.lookup(token, window, 60)
        await store.close()
        return result

    assert run(scenario())[:2] == (None, True)


def test_requests_waiting_for_a_token_share_one_read(redis_url):
    token, window = uuid.uuid4().hex, "w9"
    store = cache.RedisStore(redis_url)

    async def scenario():
        await store.remember(token, PRINCIPAL)
        answers = await asyncio.gather(*(store.lookup(token, window, 60) for _ in range(10)))
        shared = shared_count(redis_url, token, window)
        await store.close()
        return answers, shared

    answers, shared = run(scenario())
    assert all(a[:2] == (PRINCIPAL, False) for a in answers)
    assert sorted(a[2] for a in answers) == list(range(1, 11))  # every scan counted here
    assert shared == 1  # one round trip; the other nine reach Redis with the next read


def test_a_read_in_flight_when_this_process_revokes_does_not_bring_the_token_back(redis_url):
    token, window = uuid.uuid4().hex, "w10"
    store = cache.RedisStore(redis_url)
    redis_answered = asyncio.Event()

    async def read_from_before_the_revocation(token_hash, window, ttl, add):
        await redis_answered.wait()
        return PRINCIPAL, False, 1, 0.0, GEN  # what Redis held when the read ran

    store._read = read_from_before_the_revocation

    async def scenario():
        lookup = asyncio.ensure_future(store.lookup(token, window, 60))
        await asyncio.sleep(0.01)  # the read is in flight
        store.forget(token)
        redis_answered.set()
        answer = await lookup
        return answer, token in store._near

    answer, kept = run(scenario())
    assert answer[:2] == (None, True) and not kept


def test_reads_of_many_tokens_at_once_share_one_round_trip(redis_url, monkeypatch):
    """After a pause every token of a busy door needs Redis at once: their
    reads go out as one pipeline, each still answered for its own token."""
    import redis.asyncio.client as aioclient

    sent: list[int] = []
    execute = aioclient.Pipeline.execute

    async def counted(self, *args, **kwargs):
        sent.append(len(self.command_stack))
        return await execute(self, *args, **kwargs)

    monkeypatch.setattr(aioclient.Pipeline, "execute", counted)
    store = cache.RedisStore(redis_url)
    tokens = [uuid.uuid4().hex for _ in range(10)]

    async def scenario():
        for n, token in enumerate(tokens):
            await store.remember(token, {**PRINCIPAL, "u": n})
        answers = await asyncio.gather(*(store.lookup(t, "w11", 60) for t in tokens))
        await store.close()
        return answers

    answers = run(scenario())
    assert [(a[0]["u"], a[1], a[2]) for a in answers] == [(n, False, 1) for n in range(10)]
    assert sent == [10]  # one pipeline, one script call per token


def test_reads_left_queued_by_a_closed_loop_do_not_stop_the_next_loops(redis_url):
    """Each test (and each worker restart) runs its own event loop with the
    same store: a read queued on a loop that closed is dropped, not sent."""
    token = uuid.uuid4().hex
    store = cache.RedisStore(redis_url)

    async def leave_one_queued():
        await store.remember(token, PRINCIPAL)
        store._queued.append((token, "w12", 60, 1, asyncio.get_running_loop().create_future()))

    async def read_in_a_new_loop():
        answer = await asyncio.wait_for(store.lookup(token, "w12", 60), timeout=5)
        await store.close()
        return answer

    run(leave_one_queued())
    assert run(read_in_a_new_loop()) == (PRINCIPAL, False, 1, GEN)
    assert shared_count(redis_url, token, "w12") == 1  # the dead loop's read was not sent
