"""Committed changes go to the live dashboards, as on the Django path.

live.messages' shape, built from what the write returned, sent to the
event's group from the gateway's own loop; never raises into the scan. One
sender per process coalesces GATEWAY_LIVE_COALESCE_SECONDS (20 ms) of
changes into one `live.batch` per event. See docs/decisions/0007.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from live.messages import MAX_BATCH, batch_message, group_name

logger = logging.getLogger(__name__)

_pending: dict[int, list[dict[str, Any]]] = {}  # event id -> messages, commit order
_sender: asyncio.Task | None = None


async def _send(event_id: int, message: dict[str, Any]) -> None:
    from channels.layers import get_channel_layer

    try:
        layer = get_channel_layer()
        if layer is not None:
            await layer.group_send(group_name(event_id), message)
    except Exception as exc:  # a live page is never worth a failed scan
        logger.warning("live publish failed: %s: %s", type(exc).__name__, exc)


async def _send_pending() -> None:
    from django.conf import settings

    # Let the changes of the next few milliseconds join this send.
    if settings.GATEWAY_LIVE_COALESCE_SECONDS > 0:
        await asyncio.sleep(settings.GATEWAY_LIVE_COALESCE_SECONDS)
    while _pending:
        event_id = next(iter(_pending))
        messages = _pending[event_id]
        chunk, rest = messages[:MAX_BATCH], messages[MAX_BATCH:]
        if rest:
            _pending[event_id] = rest
        else:
            del _pending[event_id]
        await _send(event_id, batch_message(event_id, chunk))


def publish(message: dict[str, Any] | None) -> None:
    """Queue `message` (a committed change) for sending; never waits."""
    global _sender
    if message is None:
        return
    _pending.setdefault(message["event"], []).append(message)
    # A sender left on another (closed) loop, e.g. a finished test's, is
    # not waited for.
    if _sender is None or _sender.done() or _sender.get_loop() is not asyncio.get_running_loop():
        _sender = asyncio.ensure_future(_send_pending())


async def drain() -> None:
    """Wait until every queued message has been sent (tests; shutdown)."""
    loop = asyncio.get_running_loop()
    while _pending or (_sender is not None and not _sender.done() and _sender.get_loop() is loop):
        if _sender is None or _sender.done() or _sender.get_loop() is not loop:
            await _send_pending()
        else:
            await asyncio.gather(_sender, return_exceptions=True)
