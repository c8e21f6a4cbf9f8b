"""One channel-layer subscription per event per process, shared by all of
that process's listeners of the event.

Channels' own way (every connection a member of the event's group) costs a
copy of each message per connection: the layer queues it for each, each
consumer wakes, unpacks it (msgpack) and encodes its own JSON. At 500
dashboards per process that fan-out took the event loop for longer than the
API's own requests (decision 0205). Here the process joins the group once
per event; each message is unpacked and encoded once, and the same text goes
into every local listener's outbox (`Outbox`), which writes it to its socket
in order, with a timeout, in a task of its own: a slow client holds up
nobody else.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from channels.layers import get_channel_layer

from .messages import group_name

logger = logging.getLogger(__name__)

# A client this many frames behind is not reading: it is closed (4408) and
# its page reconnects and resyncs, instead of holding them in memory.
MAX_BACKLOG = 2000


def change_frames(message: dict[str, Any]) -> list[str]:
    """The browser's text frames for one channel-layer message of the event
    group: one `change` frame per change, a `live.batch` unpacked in order."""
    if message.get("type") == "live.batch":
        changes = message.get("messages", ())
    elif message.get("type") == "live.change":
        changes = (message,)
    else:
        return []
    return [
        json.dumps({"type": "change", **{k: v for k, v in change.items() if k != "type"}})
        for change in changes
    ]


class Outbox:
    """The frames waiting for one connection, written in order by one task
    at a time. `send` writes one text frame; `on_stuck(code)` closes the
    connection when a frame did not go out within `timeout` seconds or the
    backlog passed MAX_BACKLOG."""

    def __init__(
        self,
        send: Callable[[str], Awaitable[None]],
        on_stuck: Callable[[], Awaitable[None]],
        timeout: float,
    ) -> None:
        self._send = send
        self._on_stuck = on_stuck
        self._timeout = timeout
        self._frames: deque[str] = deque()
        self._writer: asyncio.Task | None = None
        self.held = True  # until the connection's first snapshot is out
        self.closed = False

    def push(self, frames: Iterable[str]) -> None:
        """Queue frames; never waits."""
        if self.closed:
            return
        self._frames.extend(frames)
        if len(self._frames) > MAX_BACKLOG:
            self._stuck()
            return
        self._kick()

    def release(self) -> None:
        """Start writing (after the first snapshot went out directly)."""
        self.held = False
        self._kick()

    def close(self) -> None:
        """Drop what is queued and write nothing more."""
        self.closed = True
        self._frames.clear()

    def _kick(self) -> None:
        if self._frames and not self.held and (self._writer is None or self._writer.done()):
            self._writer = asyncio.ensure_future(self._drain())

    def _stuck(self) -> None:
        self.close()
        asyncio.ensure_future(self._on_stuck())

    async def _drain(self) -> None:
        while self._frames and not self.closed:
            frame = self._frames.popleft()
            try:
                async with asyncio.timeout(self._timeout):
                    await self._send(frame)
            except TimeoutError:
                self._stuck()
                return
            except Exception as exc:  # the socket went away; disconnect cleans up
                logger.debug("live send failed: %s", type(exc).__name__)
                self.close()
                return


class _EventFeed:
    """This process's subscription to one event's group."""

    def __init__(self, event_id: int) -> None:
        self.event_id = event_id
        self.loop = asyncio.get_running_loop()
        self.outboxes: set[Outbox] = set()
        self.ready: asyncio.Future = self.loop.create_future()
        self.channel: str | None = None
        self.reader: asyncio.Task | None = None

    async def start(self) -> None:
        layer = get_channel_layer()
        try:
            self.channel = await layer.new_channel("live.feed.")
            await layer.group_add(group_name(self.event_id), self.channel)
        except Exception as exc:
            self.ready.set_exception(exc)
            raise
        self.reader = asyncio.ensure_future(self._read(layer, self.channel))
        self.ready.set_result(None)

    async def _read(self, layer, channel: str) -> None:
        while True:
            try:
                message = await layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis away: the layer reconnects; snapshots resync
                logger.warning("live feed receive failed: %s", type(exc).__name__)
                await asyncio.sleep(0.5)
                continue
            try:
                frames = change_frames(message)
            except Exception:
                logger.exception("could not encode a live message")
                continue
            if frames:
                for outbox in list(self.outboxes):
                    outbox.push(frames)

    async def stop(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        if self.channel is not None:
            await get_channel_layer().group_discard(group_name(self.event_id), self.channel)


_feeds: dict[int, _EventFeed] = {}


async def join(event_id: int, outbox: Outbox) -> None:
    """Deliver the event's changes to `outbox` from now on; returns once this
    process is subscribed, so that no change committed after it is missed."""
    feed = _feeds.get(event_id)
    if feed is None or feed.loop is not asyncio.get_running_loop():
        feed = _feeds[event_id] = _EventFeed(event_id)
        feed.outboxes.add(outbox)
        try:
            await feed.start()
        except Exception:
            if _feeds.get(event_id) is feed:
                del _feeds[event_id]
            raise
        return
    feed.outboxes.add(outbox)
    await asyncio.shield(feed.ready)


async def leave(event_id: int, outbox: Outbox) -> None:
    """Stop delivering to `outbox`; the last listener's leave unsubscribes."""
    feed = _feeds.get(event_id)
    if feed is None:
        return
    feed.outboxes.discard(outbox)
    if not feed.outboxes and feed.ready.done():
        del _feeds[event_id]
        await feed.stop()


def push_to_event(event_id: int, frames: list[str]) -> None:
    """Queue frames for every local listener of the event (the snapshots)."""
    feed = _feeds.get(event_id)
    if feed is not None:
        for outbox in list(feed.outboxes):
            outbox.push(frames)


def listening_events() -> list[int]:
    """The events with listeners in this process."""
    return [event_id for event_id, feed in _feeds.items() if feed.outboxes]
