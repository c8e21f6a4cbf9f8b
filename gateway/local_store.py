"""The token cache in process memory: the single-process embedded default
(no REDIS_URL). See gateway.cache."""

from __future__ import annotations

import threading
import time
from typing import Any

from . import cache_keys
from .cache_keys import (
    PRINCIPAL,
    REVOKED,
    THROTTLE,
    cache_seconds,
    current_principal,
    db_generation,
    revoked_marker_seconds,
)


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

    async def lookup(self, token_hash: str, window: str, ttl: int) -> tuple[Any, bool, int, Any]:
        from . import db

        # Another process (a `manage.py shell`) may have moved it: read it
        # from the database, the one thing processes share here.
        generation = await db.in_django_thread(db_generation)
        now = time.monotonic()
        with self._lock:
            principal = current_principal(self._get(PRINCIPAL + token_hash, now), generation)
            revoked = self._get(REVOKED + token_hash, now) is not None
            key = THROTTLE + token_hash + ":" + window
            count = (self._get(key, now) or 0) + 1
            self._data[key] = (now + ttl, count)
            if len(self._data) > 100_000:
                self._data = {k: v for k, v in self._data.items() if v[0] > now}
        return principal, revoked, count, generation

    async def count_more(self, token_hash: str, window: str, ttl: int, n: int) -> int:
        """Add `n` scans to the token's throttle window; the count after."""
        now = time.monotonic()
        with self._lock:
            key = THROTTLE + token_hash + ":" + window
            count = (self._get(key, now) or 0) + n
            self._data[key] = (now + ttl, count)
        return count

    async def remember(self, token_hash: str, principal: dict) -> None:
        with self._lock:
            self._data[PRINCIPAL + token_hash] = (time.monotonic() + cache_seconds(), principal)

    def expiring(self, token_hash: str) -> bool:
        """True when the cached principal is due to be read again from the
        database (before it expires and a request has to wait for that)."""
        item = self._data.get(PRINCIPAL + token_hash)
        if item is None:
            return False
        return item[0] - time.monotonic() < cache_keys.reload_margin(token_hash)

    def forget(self, token_hash: str) -> None:
        with self._lock:
            self._data.pop(PRINCIPAL + token_hash, None)
            self._data[REVOKED + token_hash] = (time.monotonic() + revoked_marker_seconds(), True)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def clear_principals(self) -> None:
        with self._lock:
            for key in [k for k in self._data if k.startswith(PRINCIPAL)]:
                del self._data[key]

    async def close(self) -> None:
        return None
