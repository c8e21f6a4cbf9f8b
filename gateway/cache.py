"""The gateway's token cache and per-device throttle counters.

Shared in Redis with REDIS_URL (one Lua read: principal, revocation marker,
credentials generation, throttle count), in process memory without. Each
process keeps a near cache refreshed ahead of expiry, so a revocation in
another process is admitted for at most 2 * GATEWAY_NEAR_CACHE_SECONDS.
See docs/decisions/0131 (and 0020 for the generation).

    gateway.cache_keys    the keys and lifetimes both stores share
    gateway.local_store   LocalStore, in process memory
    gateway.redis_store   RedisStore, with the near cache
"""

from __future__ import annotations

import logging

from django.conf import settings

from .cache_keys import PRINCIPAL, REVOKED, THROTTLE, cache_seconds
from .local_store import LocalStore
from .redis_store import RedisStore

__all__ = [
    "PRINCIPAL",
    "REVOKED",
    "THROTTLE",
    "LocalStore",
    "RedisStore",
    "clear_process_caches",
    "forget_near",
    "forget_token",
    "store",
]

logger = logging.getLogger(__name__)

_local = LocalStore()
_redis: RedisStore | None = None


def store() -> LocalStore | RedisStore:
    """The shared store with REDIS_URL, else this process's own."""
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


def forget_near() -> None:
    """Drop every principal this process holds (the credentials generation
    moved here): the next request of each token reads Redis, or the
    database, again."""
    _local.clear_principals()
    if _redis is not None:
        _redis.clear_near()


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
