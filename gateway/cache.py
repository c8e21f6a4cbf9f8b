"""The gateway's token cache and per-device throttle counters.

With REDIS_URL set, every process shares them in Redis, and one pipelined
round trip per request reads the cached principal, checks the revocation
marker and counts the request in the throttle window. Without Redis (the
embedded default, one process) they live in this process's memory.

Revoking a token deletes its cache entry AND sets a revocation marker that
outlives any cache entry: a lookup that read the database just before the
revocation and writes the cache just after it is still refused, because
every read checks the marker in the same round trip.

Near cache (Redis only). A round trip to Redis on every scan cost about a
third of the gateway's CPU per scan (docs/benchmarks.md), so each process
keeps what it last read for a token for GATEWAY_NEAR_CACHE_SECONDS (0.5 s)
and counts that token's scans locally meanwhile. The next request after
that reads Redis again in one pipeline: the principal, the revocation
marker, and the local count added to the shared throttle window (INCRBY).
So a revocation made in another process is refused within that half
second (the issue asks "within a second"; in the revoking process at once),
and a device's budget is shared across processes with the same lag: a
process may admit at most half a second of scans that another process's
counts would have refused. A single process counts exactly.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

PRINCIPAL = "gw:tok:"  # + sha256(token): the cached principal, JSON
REVOKED = "gw:rev:"  # + sha256(token): set when the token is revoked
THROTTLE = "gw:thr:"  # + sha256(token) + ":" + window


def cache_seconds() -> int:
    return int(settings.TOKEN_CACHE_SECONDS)


def revoked_marker_seconds() -> int:
    return cache_seconds() + 60


class LocalStore:
    """In-process store for the single-process embedded default."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def _get(self, key: str, now: float) -> Any:
        item = self._data.get(key)
        if item is None or item[0] <= now:
            return None
        return item[1]

    async def lookup(self, token_hash: str, window: str, ttl: int) -> tuple[Any, bool, int]:
        now = time.monotonic()
        with self._lock:
            principal = self._get(PRINCIPAL + token_hash, now)
            revoked = self._get(REVOKED + token_hash, now) is not None
            key = THROTTLE + token_hash + ":" + window
            count = (self._get(key, now) or 0) + 1
            self._data[key] = (now + ttl, count)
            if len(self._data) > 100_000:
                self._data = {k: v for k, v in self._data.items() if v[0] > now}
        return principal, revoked, count

    async def remember(self, token_hash: str, principal: dict) -> None:
        with self._lock:
            self._data[PRINCIPAL + token_hash] = (time.monotonic() + cache_seconds(), principal)

    def forget(self, token_hash: str) -> None:
        with self._lock:
            self._data.pop(PRINCIPAL + token_hash, None)
            self._data[REVOKED + token_hash] = (time.monotonic() + revoked_marker_seconds(), True)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    async def close(self) -> None:
        return None


class _Near:
    """What this process last read from Redis for one token."""

    __slots__ = ("principal", "until", "window", "count", "pending")

    def __init__(self, principal: Any, until: float, window: str, count: int) -> None:
        self.principal = principal
        self.until = until  # time.monotonic() after which Redis is read again
        self.window = window
        self.count = count  # the shared window count at the last read
        self.pending = 0  # scans counted here since, not yet added in Redis


def near_cache_seconds() -> float:
    return float(settings.GATEWAY_NEAR_CACHE_SECONDS)


class RedisStore:
    """Shared store: every process sees a revocation within the near cache's
    lifetime (see the module docstring)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._clients: dict[int, Any] = {}  # per event loop
        self._near: dict[str, _Near] = {}

    def _client(self):
        import asyncio

        import redis.asyncio as aioredis

        loop_id = id(asyncio.get_running_loop())
        client = self._clients.get(loop_id)
        if client is None:
            client = aioredis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=1)
            self._clients = {loop_id: client}
        return client

    async def lookup(self, token_hash: str, window: str, ttl: int) -> tuple[Any, bool, int]:
        now = time.monotonic()
        near = self._near.get(token_hash)
        if near is not None and near.until > now and near.window == window:
            near.pending += 1
            return near.principal, False, near.count + near.pending
        # Hand the local count to this read before awaiting it, so that two
        # requests reading at once cannot both add it.
        add = 1
        if near is not None and near.window == window:
            add += near.pending
            near.pending = 0
        key = THROTTLE + token_hash + ":" + window
        pipe = self._client().pipeline(transaction=False)
        pipe.get(PRINCIPAL + token_hash)
        pipe.exists(REVOKED + token_hash)
        pipe.incrby(key, add)
        pipe.expire(key, ttl, nx=True)
        raw, revoked, count, _ = await pipe.execute()
        principal = json.loads(raw) if raw else None
        if revoked or principal is None:
            self._near.pop(token_hash, None)
        else:
            self._keep(token_hash, principal, window, int(count))
        return principal, bool(revoked), int(count)

    def _keep(self, token_hash: str, principal: Any, window: str, count: int) -> None:
        if len(self._near) > 10_000:
            now = time.monotonic()
            self._near = {k: v for k, v in self._near.items() if v.until > now}
        self._near[token_hash] = _Near(
            principal, time.monotonic() + near_cache_seconds(), window, count
        )

    async def remember(self, token_hash: str, principal: dict) -> None:
        await self._client().set(PRINCIPAL + token_hash, json.dumps(principal), ex=cache_seconds())

    def forget(self, token_hash: str) -> None:
        """Called from Django's sync code (a signal after commit)."""
        import redis

        self._near.pop(token_hash, None)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=1)
        try:
            pipe = client.pipeline(transaction=False)
            pipe.set(REVOKED + token_hash, b"1", ex=revoked_marker_seconds())
            pipe.delete(PRINCIPAL + token_hash)
            pipe.execute()
        finally:
            client.close()

    def clear(self) -> None:
        self._near.clear()

    async def close(self) -> None:
        clients, self._clients = self._clients, {}
        for client in clients.values():
            try:
                await client.aclose()
            except Exception:  # noqa: S110  (a closed loop's client; nothing to free)
                pass


_local = LocalStore()
_redis: RedisStore | None = None


def store() -> LocalStore | RedisStore:
    global _redis
    url = settings.REDIS_URL
    if not url:
        return _local
    if _redis is None or _redis.url != url:
        _redis = RedisStore(url)
    return _redis


def clear_process_caches() -> None:
    """Forget everything this process holds (tests): the local store and
    the Redis store's near cache."""
    _local.clear()
    if _redis is not None:
        _redis.clear()


def forget_token(token_hash: str) -> None:
    """Refuse this token from now on, in every process (never raises)."""
    _local.forget(token_hash)
    if settings.REDIS_URL:
        try:
            store().forget(token_hash)
        except Exception as exc:
            logger.warning(
                "gateway token cache unavailable (%s); a revoked token may live %ss",
                type(exc).__name__,
                cache_seconds(),
            )
