"""Who is scanning: device tokens and users' API tokens, cached.

`Authorization: Bearer <key>` (or `Token <key>`), as on the DRF API. A key
starting with `rdd_` is a device token (gateway.models.DeviceToken), anything
else a user's API token (accounts.ApiToken); both are stored as a SHA-256. A
user's token is accepted when the user may scan (registrants.scan_code:
check-in staff and organisers). The principal is cached under the key's SHA-256 for
TOKEN_CACHE_SECONDS and read again before it expires; each process keeps
what it read for a short while and checks the revocation marker and the
throttle window with it (gateway.cache). Only a cache miss makes a request
wait for the database.

The refusals are the DRF API's, word for word (401, 403, 429 + Retry-After).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from registrants.api.throttling import parse_rate
from registrants.permissions import ORGANISER_PERMISSION, assigned_ids_expression, event_limit
from registrants.presenters import person_name

from . import cache, db
from .models import KEY_PREFIX, hash_key
from .scan import Principal

logger = logging.getLogger(__name__)

KEYWORDS = ("bearer", "token")
SCAN_PERMISSION = "registrants.scan_code"  # what the DRF scan endpoint requires


@dataclass
class Refusal(Exception):
    status: int
    code: str
    message: str
    retry_after: int | None = None


NOT_AUTHENTICATED = Refusal(
    401, "not_authenticated", "Authentication credentials were not provided."
)
INVALID = Refusal(401, "authentication_failed", "Invalid or revoked token.")
BAD_HEADER = Refusal(
    401,
    "authentication_failed",
    "Invalid Authorization header: use 'Bearer <token>' with no spaces in the token.",
)
NOT_ASCII = Refusal(401, "authentication_failed", "Invalid token: it must be ASCII.")
INACTIVE = Refusal(401, "authentication_failed", "This user is inactive.")
FORBIDDEN = Refusal(403, "permission_denied", "Your role may not do this.")


def parse_header(value: str | None) -> str:
    """The token in an Authorization header, or a Refusal."""
    parts = (value or "").split()
    if not parts or parts[0].lower() not in KEYWORDS:
        raise NOT_AUTHENTICATED
    if len(parts) != 2:
        raise BAD_HEADER
    if not parts[1].isascii():
        raise NOT_ASCII
    return parts[1]


# The columns a principal is made of, for both kinds of token.
_USER_COLUMNS = ("user_id", "user__first_name", "user__last_name", "user__username")


def principal_query(key: str) -> QuerySet:
    """The one query behind a cache miss, as Django's ORM writes it.

    A device token (`rdd_...`): its user, event and id, if not revoked. A
    user's API token: its user, whether the user may scan and is an
    organiser, decided as Django's ModelBackend decides `has_perm` for an
    active user (a superuser, or the permission given to the user or to one
    of its groups), and the user's assigned events, in the same statement
    instead of more queries."""
    from django.contrib.auth.models import Permission

    from accounts.models import ApiToken

    from .models import DeviceToken

    if key.startswith(KEY_PREFIX):
        return DeviceToken.objects.filter(
            key_hash=hash_key(key), revoked_at__isnull=True
        ).values_list(*_USER_COLUMNS, "user__is_active", "event_id", "pk")[:1]

    def has_perm(perm: str) -> Q:
        app_label, codename = perm.split(".")
        permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        return (
            Q(user__is_superuser=True)
            | Exists(permission.filter(user=OuterRef("user_id")))
            | Exists(permission.filter(group__user=OuterRef("user_id")))
        )

    return (
        ApiToken.objects.filter(key_hash=hash_key(key))
        .annotate(
            can_scan=has_perm(SCAN_PERMISSION),
            organiser=has_perm(ORGANISER_PERMISSION),
            events=assigned_ids_expression("user_id"),
        )
        .values_list(*_USER_COLUMNS, "user__is_active", "can_scan", "organiser", "events")[:1]
    )


def principal_from_row(key: str, row: tuple | None) -> Principal | None:
    """The principal of `principal_query(key)`'s row: None for an unknown or
    revoked token; INACTIVE raised for an inactive user."""
    if row is None:
        return None
    user_id, first_name, last_name, username, is_active, *rest = row
    if not is_active:
        raise INACTIVE
    name = person_name(first_name, last_name, username)
    if key.startswith(KEY_PREFIX):
        event_id, device_id = rest
        return Principal(
            user_id=user_id, name=name, event_id=event_id, device_id=device_id, can_scan=True
        )
    can_scan, organiser, events = rest
    return Principal(
        user_id=user_id,
        name=name,
        can_scan=bool(can_scan),
        events=event_limit(organiser=bool(organiser), joined_ids=events),
    )


def load_principal(key: str) -> Principal | None:
    """The database read behind a cache miss, through the ORM (sync: the
    Django thread, on SQLite)."""
    return principal_from_row(key, next(iter(principal_query(key)), None))


async def read_principal(key: str) -> Principal | None:
    """The database read behind a cache miss. On PostgreSQL, the same
    statement on the gateway's async pool: a read on the Django thread held
    the GIL for about 20 ms per token (the ORM, has_perm's two queries), and
    the event loop's requests waited behind it. On SQLite, the Django thread."""
    current = db.backend()
    if isinstance(current, db.PostgresBackend):
        sql, params = compiled_principal_query(key)
        async with _read_slots():
            return principal_from_row(key, await current.fetch_one(sql, params))
    return await db.in_django_thread(_load_fresh, key)


# Principal reads in flight at once, per event loop. After a pause every
# token of a door is due together; sixteen concurrent reads made the pool
# open eight new connections (a PostgreSQL fork each) in the middle of a
# rush, a stall of up to 90 ms. Queued two at a time they take about a
# millisecond each, on connections the pool already has.
PRINCIPAL_READS_AT_ONCE = 2
_slots: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}


def _read_slots() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop)
    if slots is None:
        _slots.clear()  # a finished loop's (tests, a restart) is of no use
        slots = _slots[loop] = asyncio.Semaphore(PRINCIPAL_READS_AT_ONCE)
    return slots


_SENTINEL = "gateway-principal-query-placeholder"


def compiled_principal_query(key: str) -> tuple[str, list]:
    """principal_query(key) as SQL and parameters, compiled once per kind of
    token (the key's hash is the only parameter that changes)."""
    sql, compiled_params, at = _compiled(key.startswith(KEY_PREFIX))
    params = list(compiled_params)
    params[at] = hash_key(key)
    return sql, params


@lru_cache(maxsize=2)
def _compiled(device: bool) -> tuple[str, tuple, int]:
    sentinel = KEY_PREFIX + _SENTINEL if device else _SENTINEL
    query = principal_query(sentinel).query
    sql, params = query.sql_with_params()
    return sql, tuple(params), list(params).index(hash_key(sentinel))


_rates: dict[str, tuple[int, int]] = {}


def scan_rate() -> tuple[int, int]:
    """The scan throttle of the DRF API (REST_FRAMEWORK's 'scan' rate), per device."""
    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["scan"]
    if rate not in _rates:
        _rates[rate] = parse_rate(rate)
    return _rates[rate]


def throttled(wait: float) -> Refusal:
    """DRF's Throttled(wait) message and Retry-After."""
    seconds = math.ceil(wait)
    unit = "second" if seconds == 1 else "seconds"
    return Refusal(
        429,
        "throttled",
        f"Request was throttled. Expected available in {seconds} {unit}.",
        retry_after=max(1, int(wait + 0.999)),
    )


async def authenticate(header: str | None) -> Principal:
    """The principal of a scan request, or a Refusal (401, 403, 429)."""
    key = parse_header(header)
    token_hash = hash_key(key)
    limit, duration = scan_rate()
    now = time.time()
    window = int(now // duration)
    store = cache.store()
    try:
        cached, revoked, count, generation = await store.lookup(
            token_hash, str(window), duration + 1
        )
    except Exception as exc:  # a cache outage must not stop the doors (as DRF)
        logger.warning(
            "gateway token cache unavailable (%s); reading the database", type(exc).__name__
        )
        cached, revoked, count, generation = None, False, 0, None
    if revoked:
        raise INVALID
    principal: Principal | None
    if cached is not None:
        principal = Principal.from_json(cached)
        if store.expiring(token_hash) and token_hash not in _loading:
            # Read it again before it expires, behind this request: otherwise
            # the first request after expiry waits for the database, and at
            # door rate every request of the token with it.
            _start_load(token_hash, key, generation)
    else:
        principal = await _load_once(token_hash, key, generation)
        if principal is None:
            raise INVALID
    if not principal.can_scan:
        raise FORBIDDEN
    if count > limit:
        raise throttled((window + 1) * duration - now)
    return principal


async def count_items(header: str | None, extra: int) -> None:
    """Count `extra` more scans against the token of an authenticated
    request (a batch counts each item: authenticate counted one), or a
    Refusal (429) when that goes over the rate. Fails open, as authenticate."""
    if extra <= 0:
        return
    token_hash = hash_key(parse_header(header))
    limit, duration = scan_rate()
    now = time.time()
    window = int(now // duration)
    try:
        count = await cache.store().count_more(token_hash, str(window), duration + 1, extra)
    except Exception as exc:
        logger.warning("gateway throttle unavailable (%s); not counting", type(exc).__name__)
        return
    if count > limit:
        raise throttled((window + 1) * duration - now)


# token hash -> the database read in flight for it, in this process.
_loading: dict[str, asyncio.Future] = {}


async def _load_once(token_hash: str, key: str, generation: Any) -> Principal | None:
    """Read the principal from the database and cache it; requests for the
    same token meanwhile wait for that one read. When a token's cache entry
    expires at door rate, every request in flight would otherwise queue its
    own read on the one Django thread (a stall of tens of milliseconds)."""
    pending = _loading.get(token_hash)
    if pending is not None and pending.get_loop() is asyncio.get_running_loop():
        return await asyncio.shield(pending)
    return await asyncio.shield(_start_load(token_hash, key, generation))


def _start_load(token_hash: str, key: str, generation: Any) -> asyncio.Future:
    """The database read of a token's principal, as a task of its own (a
    cancelled request does not cut it), registered in _loading."""
    future = asyncio.ensure_future(_load_and_remember(token_hash, key, generation))
    _loading[token_hash] = future
    future.add_done_callback(lambda done: _load_done(token_hash, done))
    return future


def _load_done(token_hash: str, future: asyncio.Future) -> None:
    if _loading.get(token_hash) is future:
        del _loading[token_hash]
    if not future.cancelled() and future.exception() is not None:
        # Seen by the requests that awaited it; a background read's failure
        # only leaves the entry to expire (the next read tries again).
        logger.warning("gateway token read failed (%s)", type(future.exception()).__name__)


async def _load_and_remember(token_hash: str, key: str, generation: Any) -> Principal | None:
    principal = await read_principal(key)
    if principal is not None and generation is not None:
        # Cached under the generation read before the database (see
        # accounts.generation); without one (a cache outage) not cached.
        try:
            await cache.store().remember(token_hash, {**principal.to_json(), "g": generation})
        except Exception as exc:
            logger.warning("gateway token cache unavailable (%s); not caching", type(exc).__name__)
    return principal


def _load_fresh(key: str) -> Principal | None:
    from django.db import close_old_connections

    close_old_connections()
    return load_principal(key)
