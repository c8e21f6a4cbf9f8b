"""The credentials generation: one number that every change to who may do
what moves on, so that every process's cached tokens are re-read at once.

A cached token is trusted only while the generation it was read under (read
BEFORE the database) is current. The number lives in the database row
without Redis, in the shared cache with it. See docs/decisions/0020.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.dispatch import Signal

from config.cache import cache

from .models import CredentialsGeneration

logger = logging.getLogger(__name__)

CACHE_KEY = "credentials:generation"

# Sent in the process that made a change, after commit: its own near caches
# (the gateway's) drop what they hold at once.
credentials_changed = Signal()


def shared() -> bool:
    """True when processes share the cache (Redis), so the number lives there."""
    return bool(settings.REDIS_URL)


def redis_key() -> str:
    """The generation's key as stored in Redis (Django's cache key prefixing),
    for readers that talk to Redis directly (the gateway)."""
    return cache.make_and_validate_key(CACHE_KEY)


def from_db() -> int:
    """The generation in the database (one indexed read)."""
    value = CredentialsGeneration.objects.filter(pk=1).values_list("value", flat=True).first()
    return value or 0  # the row is missing only after a test flushed the table


def current() -> Any:
    """The current generation, from the shared cache or the database."""
    if shared():
        value = cache.get(CACHE_KEY)
        return value if value is not None else initialise()
    return from_db()


def initialise() -> int:
    """Set the shared generation if it is missing (a fresh or flushed Redis)
    and return it. A random start, so that a number set again after an
    eviction never equals one an old cache entry was read under."""
    cache.add(CACHE_KEY, secrets.randbits(62), None)
    return cache.get(CACHE_KEY)


def bump() -> None:
    """Invalidate every cached token and logged-in user: call inside the
    transaction that changes a user's access. Without Redis the row moves
    with the change (a rollback undoes it); the shared cache and this
    process's near caches move after commit. With Redis the row is left
    alone: its lock would make every change to users wait for the others'
    transactions, for nothing. With Redis the number also moves at once,
    so that this transaction's own next reads (a request of the same test,
    a service that checks afterwards) see the change; a rollback then only
    costs a re-read. Only the move after commit is what other connections
    rely on: entries they cached from the old rows meanwhile are dropped."""
    if not shared():
        updated = CredentialsGeneration.objects.filter(pk=1).update(value=F("value") + 1)
        if not updated:  # the row went with a test's flush
            CredentialsGeneration.objects.get_or_create(pk=1, defaults={"value": 1})
    else:
        _move_shared()
    transaction.on_commit(_after_commit)


def _move_shared() -> None:
    try:
        initialise()
        cache.incr(CACHE_KEY)
    except Exception as exc:
        logger.warning(
            "cache unavailable (%s); cached tokens may live %ss",
            type(exc).__name__,
            settings.TOKEN_CACHE_SECONDS,
        )


def _after_commit() -> None:
    if shared():
        _move_shared()
    credentials_changed.send(sender=None)
