"""Sessions read from the shared cache and kept in the database (settings'
SESSION_ENGINE with Redis, decision 0260).

Django's cached_db store does the same, but a Redis outage breaks it: after
reading a session from the table it writes the cache without a guard (every
logged-in request answers 500), and `exists` and `delete` fail too (no
login, no logout). Here every cache call is guarded: with Redis down the
table alone answers. A cached copy lives at most SESSION_CACHE_SECONDS, so
a logout whose cache delete failed (Redis down at that moment) leaves the
old copy readable for no longer than that, as a cached API token is
(TOKEN_CACHE_SECONDS).
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import BaseCache

from . import db_sessions
from .cache import shared_cache

logger = logging.getLogger(__name__)

KEY_PREFIX = "rd.session:"


def _session_cache() -> BaseCache:
    # One object per process (config/cache.py): each websocket keeps
    # its session under ASGI, and each held a Redis pool of its own.
    return shared_cache(settings.SESSION_CACHE_ALIAS)


class SessionStore(db_sessions.SessionStore):
    """The database's session store with a guarded, short-lived cache copy."""

    def __init__(self, session_key: str | None = None) -> None:
        self._cache = _session_cache()
        super().__init__(session_key)

    def _cache_call(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self._cache, method)(*args)
        except Exception as exc:  # Redis down or unreachable: the table answers
            logger.warning("session cache %s failed (%s)", method, type(exc).__name__)
            return None

    def _ttl(self, expiry: Any = None) -> int:
        return max(0, min(settings.SESSION_CACHE_SECONDS, self.get_expiry_age(expiry=expiry)))

    def load(self) -> dict[str, Any]:
        """The session's data: the cached copy, else the table's (cached now)."""
        if self.session_key is not None:
            data = self._cache_call("get", KEY_PREFIX + self.session_key)
            if data is not None:
                return data
        row = self._get_session_from_db()
        if row is None:
            return {}
        data = self.decode(row.session_data)
        self._cache_call("set", KEY_PREFIX + row.session_key, data, self._ttl(row.expire_date))
        return data

    def exists(self, session_key: str) -> bool:
        """Whether `session_key` is taken (the cache first, then the table)."""
        if self._cache_call("get", KEY_PREFIX + session_key) is not None:
            return True
        return super().exists(session_key)

    def save(self, must_create: bool = False) -> None:
        """Saved to the table, then its copy to the cache."""
        super().save(must_create=must_create)
        if self.session_key is not None:
            self._cache_call("set", KEY_PREFIX + self.session_key, self._session, self._ttl())

    def delete(self, session_key: str | None = None) -> None:
        """Deleted from the table and the cache."""
        super().delete(session_key)
        key = session_key or self.session_key
        if key is not None:
            self._cache_call("delete", KEY_PREFIX + key)

    # Django's async session methods read the table directly; these go
    # through the cache too, so that no path leaves a stale copy.
    async def aload(self) -> dict[str, Any]:
        return await sync_to_async(self.load)()

    async def aexists(self, session_key: str) -> bool:
        return await sync_to_async(self.exists)(session_key)

    async def asave(self, must_create: bool = False) -> None:
        await sync_to_async(self.save)(must_create)

    async def adelete(self, session_key: str | None = None) -> None:
        await sync_to_async(self.delete)(session_key)
