"""A scan throttle that cannot be overrun by concurrent requests.

DRF's SimpleRateThrottle reads the request history, decides and writes it
back: two requests at once both see room and both pass. This one counts in a
fixed window with the cache's atomic increment (Redis INCR, or the local
memory cache's lock), so the count is exact. The cost is the fixed window's
edge: up to twice the rate across the boundary of two windows, never more
than the rate inside one.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from config.cache import cache

logger = logging.getLogger(__name__)

DURATIONS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'1200/min' -> (1200, 60)."""
    count, period = rate.split("/")
    return int(count), DURATIONS[period.strip()[0]]


def _count(key: str, ttl: int) -> int:
    """Add one to the window's counter and return it, atomically.

    On Redis: INCR and EXPIRE in one pipelined round trip (Django's cache
    API would take three: exists, incr, and an add for a new window).
    Elsewhere: add-then-incr, which the local memory cache does under a lock.
    """
    backend = getattr(cache, "_cache", None)
    if backend is not None and hasattr(backend, "get_client"):
        full_key = cache.make_and_validate_key(key)
        client = backend.get_client(full_key, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.incr(full_key)
        pipe.expire(full_key, ttl, nx=True)
        count, _ = pipe.execute()
        return int(count)
    cache.add(key, 0, ttl)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, ttl)
        return 1


def scan_window(ident: str, scope: str = "scan") -> tuple[str, int, int, float]:
    """The current window of `ident`'s scans: (cache key, the rate's count,
    the window's seconds, seconds until it ends). take_scan_slot counts in
    it; so does the API scan under ASGI (gateway.api_scan)."""
    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]
    num_requests, duration = parse_rate(rate)
    now = time.time()
    window = int(now // duration)
    wait = max(0.0, (window + 1) * duration - now)
    return f"throttle:{scope}:{ident}:{window}", num_requests, duration, wait


def take_scan_slot(ident: str, scope: str = "scan") -> tuple[bool, float]:
    """Count one scan for `ident` ("user:<pk>" or "addr:<ip>") in the current
    window; return whether it is within the rate and the seconds until the
    window ends. Every path that scans for a user (the API and the desk page)
    counts here, so switching paths does not double a user's budget."""
    key, num_requests, duration, wait = scan_window(ident, scope)
    try:
        count = _count(key, duration + 1)
    except Exception:
        # Failing open: a cache outage must not stop the doors.
        logger.warning("throttle cache unavailable; scan allowed")
        return True, wait
    return count <= num_requests, wait


class ScanRateThrottle(BaseThrottle):
    """Per-user limit on scans; the rate is REST_FRAMEWORK's 'scan' rate."""

    scope = "scan"

    def allow_request(self, request, view) -> bool:
        if request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        allowed, self._wait = take_scan_slot(ident, self.scope)
        return allowed

    def wait(self) -> float:
        return self._wait
