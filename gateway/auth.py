"""Who is scanning: device tokens and users' API tokens, cached.

`Authorization: Bearer <key>` (or `Token <key>`), as on the DRF API. A key
starting with `rdd_` is a device token (gateway.models.DeviceToken, stored
as a SHA-256); anything else is a user's API token (the DRF token table),
accepted when the user may scan (registrants.scan_code: check-in staff and
organisers). The principal is cached under the key's SHA-256 for
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

from django.conf import settings

from registrants.api.throttling import parse_rate

from . import cache, db
from .models import KEY_PREFIX, hash_key
from .scan import Principal, display_name

logger = logging.getLogger(__name__)

KEYWORDS = ("bearer", "token")


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


def load_principal(key: str) -> Principal | None:
    """The database lookup behind a cache miss (sync ORM, the Django thread).
    None for an unknown or revoked token; INACTIVE raised for an inactive user."""
    from rest_framework.authtoken.models import Token

    from .models import DeviceToken

    if key.startswith(KEY_PREFIX):
        device = (
            DeviceToken.objects.select_related("user")
            .filter(key_hash=hash_key(key), revoked_at__isnull=True)
            .first()
        )
        if device is None:
            return None
        if not device.user.is_active:
            raise INACTIVE
        return Principal(
            user_id=device.user_id,
            name=display_name(device.user.first_name, device.user.last_name, device.user.username),
            event_id=device.event_id,
            device_id=device.pk,
            can_scan=True,
        )
    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None:
        return None
    user = token.user
    if not user.is_active:
        raise INACTIVE
    return Principal(
        user_id=user.pk,
        name=display_name(user.first_name, user.last_name, user.get_username()),
        can_scan=user.has_perm("registrants.scan_code"),
    )


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
        cached, revoked, count = await store.lookup(token_hash, str(window), duration + 1)
    except Exception as exc:  # a cache outage must not stop the doors (as DRF)
        logger.warning(
            "gateway token cache unavailable (%s); reading the database", type(exc).__name__
        )
        cached, revoked, count = None, False, 0
    if revoked:
        raise INVALID
    if cached is not None:
        principal = Principal.from_json(cached)
        if store.expiring(token_hash) and token_hash not in _loading:
            # Read it again before it expires, behind this request: otherwise
            # the first request after expiry waits for the database, and at
            # door rate every request of the token with it.
            _start_load(token_hash, key)
    else:
        principal = await _load_once(token_hash, key)
        if principal is None:
            raise INVALID
    if not principal.can_scan:
        raise FORBIDDEN
    if count > limit:
        raise throttled((window + 1) * duration - now)
    return principal


# token hash -> the database read in flight for it, in this process.
_loading: dict[str, asyncio.Future] = {}


async def _load_once(token_hash: str, key: str) -> Principal | None:
    """Read the principal from the database and cache it; requests for the
    same token meanwhile wait for that one read. When a token's cache entry
    expires at door rate, every request in flight would otherwise queue its
    own read on the one Django thread (a stall of tens of milliseconds)."""
    pending = _loading.get(token_hash)
    if pending is not None and pending.get_loop() is asyncio.get_running_loop():
        return await asyncio.shield(pending)
    return await asyncio.shield(_start_load(token_hash, key))


def _start_load(token_hash: str, key: str) -> asyncio.Future:
    """The database read of a token's principal, as a task of its own (a
    cancelled request does not cut it), registered in _loading."""
    future = asyncio.ensure_future(_load_and_remember(token_hash, key))
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


async def _load_and_remember(token_hash: str, key: str) -> Principal | None:
    principal = await db.in_django_thread(_load_fresh, key)
    if principal is not None:
        try:
            await cache.store().remember(token_hash, principal.to_json())
        except Exception as exc:
            logger.warning("gateway token cache unavailable (%s); not caching", type(exc).__name__)
    return principal


def _load_fresh(key: str) -> Principal | None:
    from django.db import close_old_connections

    close_old_connections()
    return load_principal(key)
