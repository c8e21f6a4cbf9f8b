"""The token cache in Redis, shared by every gateway process, with a near
cache in each. See gateway.cache and docs/decisions/0131."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import secrets
import time
from typing import Any

from django.conf import settings

from . import cache_keys
from .cache_keys import (
    PRINCIPAL,
    REVOKED,
    THROTTLE,
    cache_seconds,
    current_principal,
    revoked_marker_seconds,
)
from .window_counts import WindowCounts

logger = logging.getLogger(__name__)

# One read of a token, one command: the cached principal and its remaining
# lifetime, the revocation marker, the throttle window counted up by ARGV[1]
# (its expiry set once, to ARGV[2] seconds), and the credentials generation
# (set to ARGV[3] if missing, as accounts.generation.initialise does). Five
# commands in a pipeline cost redis-py about twice the CPU.
READ_SCRIPT = """
local principal = redis.call('GET', KEYS[1])
local pttl = redis.call('PTTL', KEYS[1])
local revoked = redis.call('EXISTS', KEYS[2])
local count = redis.call('INCRBY', KEYS[3], ARGV[1])
redis.call('EXPIRE', KEYS[3], ARGV[2], 'NX')
redis.call('SET', KEYS[4], ARGV[3], 'NX')
local generation = redis.call('GET', KEYS[4])
return {principal, pttl, revoked, count, generation}
"""
MAX_READS = 256  # per pipeline


class _Near:
    """What this process last read from Redis for one token."""

    __slots__ = (
        "principal",
        "expires_at",
        "fresh_until",
        "stale_until",
        "window",
        "count",
        "pending",
        "refresh",
        "generation",
    )

    def __init__(
        self,
        principal: Any,
        expires_at: float,
        now: float,
        window: str,
        count: int,
        generation: Any,
    ) -> None:
        self.principal = principal
        self.generation = generation
        self.expires_at = expires_at  # when the principal leaves Redis (time.monotonic())
        self.window = window
        self.count = count  # the shared window count at the last read
        self.pending = 0  # scans counted here since, not yet added in Redis
        self.refresh: asyncio.Task | None = None  # the background read in flight
        self.read_at(now)

    def read_at(self, now: float) -> None:
        n = near_cache_seconds()
        self.fresh_until = now + n  # then: answer from here, read Redis in the background
        self.stale_until = now + 2 * n  # then: the request waits for Redis


def near_cache_seconds() -> float:
    return float(settings.GATEWAY_NEAR_CACHE_SECONDS)


class RedisStore:
    """Shared store: every process sees a revocation within the near cache's
    lifetime (docs/decisions/0131)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._clients: dict[int, Any] = {}  # per event loop
        self._near: dict[str, _Near] = {}
        self._reading: dict[str, asyncio.Future] = {}  # token hash -> its read in flight
        # token hash -> when this process revoked it: a read that started
        # before must not bring the token back into the near cache.
        self._forgotten_at: dict[str, float] = {}
        self._cleared_at = -math.inf  # when clear_near last ran
        self._queued: list[tuple[str, str, int, int, asyncio.Future]] = []  # reads to send
        self._sender: asyncio.Task | None = None
        self._window_counts = WindowCounts(self._client)

    def _client(self):
        import redis.asyncio as aioredis

        loop_id = id(asyncio.get_running_loop())
        client = self._clients.get(loop_id)
        if client is None:
            client = aioredis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=1)
            self._clients = {loop_id: client}
        return client

    async def lookup(self, token_hash: str, window: str, ttl: int) -> tuple[Any, bool, int, Any]:
        now = time.monotonic()
        near = self._near.get(token_hash)
        if near is not None and now < near.stale_until:
            if near.window != window:
                # A new throttle window: this process's count in it starts
                # here; the shared count comes with the next read, made now.
                near.window, near.count, near.pending = window, 0, 0
                near.fresh_until = now
            near.pending += 1
            if now >= near.fresh_until and near.refresh is None:
                near.refresh = asyncio.ensure_future(self._refresh(token_hash, near, ttl))
            return near.principal, False, near.count + near.pending, near.generation
        read = self._reading.get(token_hash)
        if read is not None and read.get_loop() is asyncio.get_running_loop():
            # Another request of this token is reading Redis: share its read
            # (at door rate, one round trip per request was most of the
            # gateway's slowest scans) and count this scan here.
            principal, revoked, count, generation = await asyncio.shield(read)
            near = self._near.get(token_hash)
            if near is not None and near.window == window:
                near.pending += 1
                return near.principal, False, near.count + near.pending, near.generation
            return principal, revoked, count, generation
        # Hand the local count to this read before awaiting it, so that two
        # reads cannot both add it.
        add = 1
        if near is not None and near.window == window:
            add += near.pending
            near.pending = 0
        # A task, so that a request cancelled while it waits (its client went
        # away) does not cut the read the others are waiting for.
        read = asyncio.ensure_future(self._read_and_keep(token_hash, window, ttl, add))
        self._reading[token_hash] = read
        read.add_done_callback(lambda done: self._reading_done(token_hash, done))
        return await asyncio.shield(read)

    def _reading_done(self, token_hash: str, read: asyncio.Future) -> None:
        if self._reading.get(token_hash) is read:
            del self._reading[token_hash]
        if not read.cancelled():
            read.exception()  # retrieved: the requests that awaited it have it

    async def _read_and_keep(
        self, token_hash: str, window: str, ttl: int, add: int
    ) -> tuple[Any, bool, int, Any]:
        started = time.monotonic()
        principal, revoked, count, expires_at, generation = await self._read(
            token_hash, window, ttl, add
        )
        if self._forgotten_since(token_hash, started):
            principal, revoked = None, True
        if revoked or principal is None:
            self._near.pop(token_hash, None)
        elif self._cleared_at < started:
            self._keep(token_hash, principal, expires_at, window, count, generation)
        return principal, revoked, count, generation

    async def _read(
        self, token_hash: str, window: str, ttl: int, add: int
    ) -> tuple[Any, bool, int, float, Any]:
        """Read one token in Redis: (cached principal if of the current
        generation, revoked?, shared count after adding `add` scans to the
        window, when the principal expires in Redis as time.monotonic(), the
        current generation). Reads queued meanwhile share one round trip
        (_send_reads)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queued.append((token_hash, window, ttl, add, future))
        # A sender left on another (closed) loop, e.g. a finished test's, is
        # not waited for.
        if self._sender is None or self._sender.done() or self._sender.get_loop() is not loop:
            self._sender = asyncio.ensure_future(self._send_reads())
        raw, pttl, revoked, count, generation = await future
        expires_at = time.monotonic() + max(int(pttl), 0) / 1000
        generation = int(generation)
        principal = current_principal(json.loads(raw) if raw else None, generation)
        return principal, bool(revoked), int(count), expires_at, generation

    async def _send_reads(self) -> None:
        """Send the queued reads, as one pipeline of READ_SCRIPT calls, and
        again while more are queued: reads that come while one pipeline is
        out go together in the next (after a pause, every token of a busy
        door reads at once; one by one, that was 16 round trips at about
        0.5 ms of this process's CPU each)."""
        from accounts.generation import redis_key

        generation_key = redis_key()
        loop = asyncio.get_running_loop()
        while self._queued:
            batch, self._queued = self._queued[:MAX_READS], self._queued[MAX_READS:]
            # Reads queued on a loop that has closed meanwhile have nobody
            # waiting for them any more.
            batch = [read for read in batch if read[4].get_loop() is loop]
            if not batch:
                continue
            pipe = self._client().pipeline(transaction=False)
            for token_hash, window, ttl, add, _ in batch:
                keys = (
                    PRINCIPAL + token_hash,
                    REVOKED + token_hash,
                    THROTTLE + token_hash + ":" + window,
                    generation_key,
                )
                pipe.eval(READ_SCRIPT, len(keys), *keys, add, ttl, secrets.randbits(62))
            try:
                replies = await pipe.execute()
            except Exception as exc:
                for *_, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (*_, future), reply in zip(batch, replies, strict=True):
                if not future.done():
                    future.set_result(reply)

    async def _refresh(self, token_hash: str, near: _Near, ttl: int) -> None:
        """Read a near entry again in the background; drop it if the token
        was revoked or left the shared cache meanwhile (the next request
        then reads Redis, and the database, itself)."""
        window, add, started = near.window, near.pending, time.monotonic()
        near.pending = 0
        near.count += add  # still counted here until the read returns it
        try:
            principal, revoked, count, expires_at, generation = await self._read(
                token_hash, window, ttl, add
            )
        except Exception as exc:
            # The entry goes stale; the request that then reads Redis itself
            # meets the outage and falls back to the database (gateway.auth).
            logger.warning("gateway token cache refresh failed (%s)", type(exc).__name__)
            return
        finally:
            near.refresh = None
        if (
            self._near.get(token_hash) is not near
            or self._forgotten_since(token_hash, started)
            or self._cleared_at >= started
        ):
            return  # revoked or cleared here, or replaced, meanwhile
        if revoked or principal is None:
            self._near.pop(token_hash, None)
            return
        near.principal, near.expires_at, near.generation = principal, expires_at, generation
        if near.window == window:
            near.count = count
        near.read_at(time.monotonic())

    def _forgotten_since(self, token_hash: str, started: float) -> bool:
        return self._forgotten_at.get(token_hash, -math.inf) >= started

    def _keep(
        self,
        token_hash: str,
        principal: Any,
        expires_at: float,
        window: str,
        count: int,
        generation: Any,
    ) -> None:
        now = time.monotonic()
        if len(self._near) > 10_000:
            self._near = {k: v for k, v in self._near.items() if v.stale_until > now}
        self._near[token_hash] = _Near(principal, expires_at, now, window, count, generation)

    async def count_more(self, token_hash: str, window: str, ttl: int, n: int) -> int:
        """Add `n` scans to the token's throttle window; the count after. The
        request that asks has just been counted (lookup), so the near entry
        is there: counted locally like its other scans, and shared with the
        next read; without one, added in Redis at once."""
        near = self._near.get(token_hash)
        if near is not None and near.window == window:
            near.pending += n
            return near.count + near.pending
        pipe = self._client().pipeline(transaction=False)
        pipe.incrby(THROTTLE + token_hash + ":" + window, n)
        pipe.expire(THROTTLE + token_hash + ":" + window, ttl, nx=True)
        count, _ = await pipe.execute()
        return int(count)

    async def count_key(self, key: str, ttl: int) -> int:
        """Add one to the counter `key` (expiring `ttl` seconds after its
        first count); the count after, exact. Batched with the other
        requests' (gateway.window_counts; gateway.api_scan)."""
        return await self._window_counts.add_one(key, ttl)

    async def remember(self, token_hash: str, principal: dict) -> None:
        started = time.monotonic()
        await self._client().set(PRINCIPAL + token_hash, json.dumps(principal), ex=cache_seconds())
        near = self._near.get(token_hash)
        if (
            near is not None
            and not self._forgotten_since(token_hash, started)
            and principal.get("g") == near.generation
        ):
            near.principal, near.expires_at = principal, started + cache_seconds()

    def expiring(self, token_hash: str) -> bool:
        """True when the cached principal is due to be read again from the
        database (before it expires and a request has to wait for that)."""
        near = self._near.get(token_hash)
        if near is None:
            return False
        return near.expires_at - time.monotonic() < cache_keys.reload_margin(token_hash)

    def forget(self, token_hash: str) -> None:
        """Called from Django's sync code (a signal after commit)."""
        import redis

        now = time.monotonic()
        if len(self._forgotten_at) > 10_000:
            self._forgotten_at = {k: t for k, t in self._forgotten_at.items() if t > now - 60}
        self._forgotten_at[token_hash] = now
        self._near.pop(token_hash, None)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=1)
        try:
            pipe = client.pipeline(transaction=False)
            pipe.set(REVOKED + token_hash, b"1", ex=revoked_marker_seconds())
            pipe.delete(PRINCIPAL + token_hash)
            pipe.execute()
        finally:
            client.close()

    def clear_near(self) -> None:
        # A read in flight since before this is answered but not kept.
        self._cleared_at = time.monotonic()
        self._near.clear()

    def clear(self) -> None:
        self._near.clear()
        self._reading.clear()
        self._forgotten_at.clear()

    async def close(self) -> None:
        for near in self._near.values():
            if near.refresh is not None:
                near.refresh.cancel()
        clients, self._clients = self._clients, {}
        for client in clients.values():
            try:
                await client.aclose()
            except Exception:  # noqa: S110  (a closed loop's client; nothing to free)
                pass
