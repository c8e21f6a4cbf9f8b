"""Committed changes go to the live dashboards, as on the Django path.

The message is live.messages.status_change_message's shape, built from what
the write returned (gateway.scan.live_message), and sent to the event's
group on the channel layer from the gateway's own event loop: the
in-process layer when the gateway is mounted in config.asgi (same loop as
the websockets), Redis pub/sub when REDIS_URL is set. Sending never raises
into the scan and the answer does not wait for it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from live.messages import group_name

logger = logging.getLogger(__name__)

_sending: set[asyncio.Task] = set()


async def _send(event_id: int, message: dict[str, Any]) -> None:
    from channels.layers import get_channel_layer

    try:
        layer = get_channel_layer()
        if layer is not None:
            await layer.group_send(group_name(event_id), message)
    except Exception as exc:  # a live page is never worth a failed scan
        logger.warning("live publish failed: %s: %s", type(exc).__name__, exc)


def publish(message: dict[str, Any] | None) -> None:
    """Send in the background, after the commit that produced `message`."""
    if message is None:
        return
    task = asyncio.ensure_future(_send(message["event"], message))
    _sending.add(task)
    task.add_done_callback(_sending.discard)


async def drain() -> None:
    while _sending:
        await asyncio.gather(*list(_sending), return_exceptions=True)
