"""Django's Redis cache, reusing its Redis client objects, and one cache
object per process.

Django's RedisCacheClient builds a new redis.Redis object for every cache
call (the connection pool is shared, the client object is not). Building one
costs about half a millisecond of CPU, and a scan request makes three cache
calls (token, throttle, live publish). redis.Redis objects are thread-safe,
so one per pool is enough.

`django.core.cache.cache` and `caches[alias]` hold one object per context
(asgiref Local): under ASGI every request runs in a context of its own, so
each request built a new cache object, and with Redis a new connection
pool and TCP connection (measured: 50 API calls through uvicorn opened 51
Redis connections). Code that runs per request uses `shared_cache()` or
`cache` from here: one object per process and alias. Redis clients and the
local memory cache are thread-safe (and a local memory cache with the same
LOCATION shares its store anyway).
"""

from __future__ import annotations

from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, BaseCache, caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import cached_property


class _ReusingClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        # Django's private helpers (its stubs do not declare them).
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._client(connection_pool=pool)  # type: ignore[attr-defined]
            self._clients[index] = client
        return client


class ReusingRedisCache(RedisCache):
    """settings.CACHES backend: RedisCache with one client object per pool."""

    @cached_property
    def _cache(self):
        return _ReusingClient(self._servers, **self._options)  # type: ignore[attr-defined]


_shared: dict[str, BaseCache] = {}


def shared_cache(alias: str = DEFAULT_CACHE_ALIAS) -> BaseCache:
    """This process's cache object for `alias`."""
    backend = _shared.get(alias)
    if backend is None:
        backend = _shared[alias] = caches.create_connection(alias)
    return backend


@receiver(setting_changed, dispatch_uid="config.cache.shared")
def _forget(*, setting: str, **kwargs: Any) -> None:
    """Tests that point CACHES elsewhere get cache objects for it."""
    if setting == "CACHES":
        _shared.clear()


class _DefaultCache:
    """Stands in for django.core.cache.cache: every attribute is the shared
    default cache's, looked up on use (so settings changes apply)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(shared_cache(), name)


cache: Any = _DefaultCache()
