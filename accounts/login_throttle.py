"""Failed password guesses are limited, on /login/ and /admin/login/.

Three failure counters (per account and address, per address, per account),
each locking what it counts for LOGIN_THROTTLE_MINUTES; attempts during a
lock check no password and are not counted, so a lock ends at a fixed time.
A cache outage lets logins through. See docs/decisions/0021.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from django.conf import settings
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle

from config.cache import cache

logger = logging.getLogger(__name__)

PREFIX = "login-throttle:"


class LoginLocked(Exception):
    """Too many failures: `minutes` until the lock ends."""

    def __init__(self, minutes: int) -> None:
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(f"Too many failed attempts; try again in {minutes} {unit}.")
        self.minutes = minutes


def now() -> float:
    """The clock of the locks (tests move it instead of sleeping)."""
    return time.time()


def client_address(request: HttpRequest) -> str:
    """The client's address as the API throttle computes it (NUM_PROXIES)."""
    # get_ident reads only request.META, which a Django request has too.
    return BaseThrottle().get_ident(request)  # type: ignore[arg-type]


def _scopes(request: HttpRequest, username: str) -> list[tuple[str, int]]:
    """(cache key suffix, failure limit) for each counter of this attempt."""
    account = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]
    address = client_address(request)
    return [
        (f"pair:{account}:{address}", settings.LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS),
        (f"addr:{address}", settings.LOGIN_FAILURES_PER_ADDRESS),
        (f"acct:{account}", settings.LOGIN_FAILURES_PER_ACCOUNT),
    ]


def _lock_seconds() -> int:
    return int(settings.LOGIN_THROTTLE_MINUTES) * 60


def check(request: HttpRequest, username: str) -> None:
    """Raise LoginLocked if this account or address may not try now."""
    keys = [PREFIX + "lock:" + scope for scope, _ in _scopes(request, username)]
    try:
        locks = cache.get_many(keys)
    except Exception:
        logger.warning("login throttle cache unavailable; attempt allowed")
        return
    until = max(locks.values(), default=0.0)
    left = until - now()
    if left > 0:
        raise LoginLocked(max(1, math.ceil(left / 60)))


def record_failure(request: HttpRequest, username: str) -> None:
    """Count a failed attempt; lock what reached its limit."""
    window = _lock_seconds()
    try:
        for scope, limit in _scopes(request, username):
            key = PREFIX + "count:" + scope
            cache.add(key, 0, window)  # the window starts at the first failure
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, window)
                count = 1
            if count >= limit:
                cache.set(PREFIX + "lock:" + scope, now() + window, window)
                cache.delete(key)  # counting starts again after the lock
    except Exception:
        logger.warning("login throttle cache unavailable; failure not counted")


def record_success(request: HttpRequest, username: str) -> None:
    """A right password forgets this account's mistakes from this address
    (not the others' counts: they may be an attack)."""
    scope, _ = _scopes(request, username)[0]
    try:
        cache.delete(PREFIX + "count:" + scope)
    except Exception:
        logger.warning("login throttle cache unavailable")
