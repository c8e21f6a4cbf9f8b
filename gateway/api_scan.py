"""POST /api/v1/scan/ at door rate: the API's scan, answered by the gateway's
scan endpoint inside config.asgi, before Django.

The gateway's endpoint takes the API's request and gives its answers byte
for byte, with the same SQL writers, receipts, live messages and refusals
(gateway/tests/test_contract.py holds it to the DRF view, case by case).
Only what DRF would authenticate with a user's API token comes here: an
Authorization header of the Bearer or Token kind carrying anything but a
device key (the API refuses device keys: DRF answers those). Requests
without one (a browser's session, no credentials at all) stay with Django.
The API's throttle counts here as in DRF (ScanRateThrottle): per user, in
the window the desk page counts in too, exact; the gateway's own count per
token comes on top, at the same rate.
Under WSGI (gunicorn config.wsgi) every request stays with Django: the
door-rate path needs the ASGI server. docs/decisions/0200 says why.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from config import logs
from config.cache import shared_cache
from registrants.api.throttling import scan_window, take_scan_slot

from . import cache, request_ids
from .app import answer
from .auth import KEYWORDS, throttled
from .endpoints import scan_endpoint
from .models import KEY_PREFIX
from .plumbing import Answer, RawRequest
from .redis_store import RedisStore
from .scan import Principal

PATH = "/api/v1/scan/"
AUTHORIZATION = b"authorization"
_KEYWORDS = tuple(k.encode() for k in KEYWORDS)
_DEVICE_PREFIX = KEY_PREFIX.encode()

logger = logging.getLogger(__name__)
request_logger = logging.getLogger("request")


def takes(scope: dict[str, Any]) -> bool:
    """Whether this HTTP request is an API scan with a user's token."""
    if scope["path"] != PATH or scope["method"] != "POST":
        return False
    for name, value in scope["headers"]:  # ASGI: names are lower-case
        if name == AUTHORIZATION:
            parts = value.split()
            if not parts or parts[0].lower() not in _KEYWORDS:
                return False  # DRF's token authentication passes it on
            return not (len(parts) == 2 and parts[1].startswith(_DEVICE_PREFIX))
    return False


async def take_user_slot(principal: Principal) -> None:
    """Count the scan in its user's throttle window, as ScanRateThrottle
    does; a 429 Refusal over the rate. Fails open, as it does."""
    ident = f"user:{principal.user_id}"
    store = cache.store()
    if not isinstance(store, RedisStore):  # no Redis: this process's Django cache
        allowed, wait = take_scan_slot(ident)
    else:
        key, limit, duration, wait = scan_window(ident)
        try:
            count = await store.count_key(shared_cache().make_and_validate_key(key), duration + 1)
        except Exception as exc:
            logger.warning("throttle cache unavailable (%s); scan allowed", type(exc).__name__)
            return
        allowed = count <= limit
    if not allowed:
        raise throttled(wait)


async def api_scan_endpoint(request: RawRequest) -> Answer:
    """The gateway's scan endpoint with the API's per-user throttle."""
    return await scan_endpoint(request, also=take_user_slot)


async def serve(scope, receive, send) -> None:
    """Answer the API scan with the gateway's scan endpoint, with the
    X-Request-ID and the one log line per request of the web app's
    RequestLogMiddleware (the endpoint binds the user and the event)."""
    started = time.perf_counter()
    status = 500

    async def send_and_note(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        await send(message)

    request_id = request_ids.for_scope(scope)
    tokens = logs.bind(request_id=request_id, user_id=None, event_id=None)
    try:
        await answer(
            api_scan_endpoint, scope, receive, request_ids.sending(send_and_note, request_id)
        )
        request_logger.log(
            logging.WARNING if status >= 500 else logging.INFO,
            "POST %s %s",
            PATH,
            status,
            extra={
                "path": PATH,
                "method": "POST",
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
    finally:
        logs.unbind(tokens)
