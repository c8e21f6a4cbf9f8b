"""The gateway's two scan endpoints: authenticate, read, validate, apply
(gateway.db), answer. Outages of the database are a 503, not a 500."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from config import logs
from registrants.errors import ApplicationError

from . import db, live, scope
from .auth import Refusal, authenticate, count_items
from .plumbing import (
    Answer,
    BadRequest,
    RawRequest,
    application_error,
    database_unavailable,
    is_database_outage,
    json_response,
    read_json,
    refusal_response,
)
from .scan import Principal
from .validation import validate_batch, validate_scan

logger = logging.getLogger(__name__)


async def scan_endpoint(
    request: RawRequest, *, also: Callable[[Principal], Awaitable[None]] | None = None
) -> Answer:
    """One scan. `also` checks more of an authenticated principal before the
    body is read (the API's per-user throttle: gateway.api_scan); it raises
    a Refusal."""
    try:
        principal = await authenticate(request.authorization)
        if also is not None:
            await also(principal)
        data = scope.with_device_event(principal, await read_json(request))
        code, mode, nonce, event = validate_scan(data)
        principal = scope.scoped(principal, event)
        logs.user_id.set(principal.user_id)  # for the request's log line
        logs.event_id.set(event)
    except Refusal as refusal:
        return refusal_response(refusal)
    except BadRequest as bad:
        return bad.response
    except ApplicationError as exc:
        return application_error(exc)
    try:
        status, body = await db.scan_and_publish(
            code, mode, principal, nonce, dt.datetime.now(dt.UTC)
        )
    except Exception as exc:
        if is_database_outage(exc):
            logger.warning("database unavailable: %s", type(exc).__name__)
            return database_unavailable()
        raise
    return json_response(status, body)


async def batch_endpoint(request: RawRequest) -> Answer:
    try:
        principal = await authenticate(request.authorization)
        data = scope.with_device_event(principal, await read_json(request))
        items = validate_batch(data)
        principal = scope.scoped(principal, scope.batch_event(data))
        await count_items(request.authorization, len(items) - 1)  # each item is a scan
    except Refusal as refusal:
        return refusal_response(refusal)
    except BadRequest as bad:
        return bad.response
    except ApplicationError as exc:
        return application_error(exc)
    now = dt.datetime.now(dt.UTC)

    async def work():
        results, messages = await db.backend().batch(items, principal, now)
        for message in messages:
            live.publish(message)
        return results

    try:
        results = await db.shielded(work)
    except Exception as exc:
        if is_database_outage(exc):
            logger.warning("database unavailable: %s", type(exc).__name__)
            return database_unavailable()
        raise
    ordered = [results[i] for i in range(len(items))]
    counts = {"applied": 0, "repeat": 0, "conflict": 0, "refused": 0}
    replayed = 0
    for result in ordered:
        if result.get("replayed"):
            replayed += 1
        else:
            result["replayed"] = False
            counts[result["result"]] += 1
    return json_response(
        200,
        {
            "results": ordered,
            "applied": counts["applied"],
            "repeats": counts["repeat"],
            "conflicts": counts["conflict"],
            "refused": counts["refused"],
            "replayed": replayed,
        },
    )
