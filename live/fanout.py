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
nobody else. Frames that queued up while the socket was being written (the
process fell behind) go out together as one JSON array frame: one write
instead of one per change, so that a process behind catches up (decision
0240).
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
WATCH_SECONDS = 1.0
# At most this many queued frames in one array frame (~0.5 KB each).
MAX_JOINED = 200


def joined(frames: deque[str]) -> str:
    """Take up to MAX_JOINED frames off the front of `frames`: the one frame
    as it is, several as one array frame `[frame, frame, ...]`, in order."""
    if len(frames) == 1:
        return frames.popleft()
    count = min(len(frames), MAX_JOINED)
    return "[" + ",".join([frames.popleft() for _ in range(count)]) + "]"


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
    """The frames waiting for one connection, written in order by one
    long-lived task (`send` writes one text frame; frames queued together
    go out as one array frame, see `joined`). A frame that has not
    gone out within `timeout` seconds (`overdue`, checked by the feed's
    watchdog) or a backlog past MAX_BACKLOG means a client that stopped
    reading: the writer is stopped and `on_stuck()` closes the connection.

    One task per connection, woken when frames arrive, rather than a task
    and a timer per frame: at 500 listeners per process those were a fifth
    of the fan-out's cost."""

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
        self._wake: asyncio.Future | None = None
        self._writer: asyncio.Task | None = None
        self._sending_since: float | None = None
        self.closed = False

    def push(self, frames: Iterable[str]) -> None:
        """Queue frames; never waits. Held until `release`."""
        if self.closed:
            return
        self._frames.extend(frames)
        if len(self._frames) > MAX_BACKLOG:
            self.stuck()
        elif self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    def release(self) -> None:
        """Start writing (after the first snapshot went out directly)."""
        if self._writer is None and not self.closed:
            self._writer = asyncio.ensure_future(self._run())

    def close(self) -> None:
        """Drop what is queued and write nothing more."""
        self.closed = True
        self._frames.clear()
        if self._writer is not None and not self._writer.done():
            self._writer.cancel()

    def overdue(self, now: float) -> bool:
        """Whether a frame has been going out for longer than the timeout."""
        return self._sending_since is not None and now - self._sending_since > self._timeout

    def stuck(self) -> None:
        """Give up on this client: stop writing, close the connection."""
        if not self.closed:
            self.close()
            asyncio.ensure_future(self._on_stuck())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self.closed:
            if not self._frames:
                self._wake = loop.create_future()
                await self._wake
                continue
            frame = joined(self._frames)
            self._sending_since = loop.time()
            try:
                await self._send(frame)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the socket went away; disconnect cleans up
                logger.debug("live send failed: %s", type(exc).__name__)
                self.close()
                return
            finally:
                self._sending_since = None


class _EventFeed:
    """This process's subscription to one event's group."""

    def __init__(self, event_id: int) -> None:
        self.event_id = event_id
        self.loop = asyncio.get_running_loop()
        self.outboxes: set[Outbox] = set()
        self.ready: asyncio.Future = self.loop.create_future()
        self.channel: str | None = None
        self.reader: asyncio.Task | None = None
        self.watchdog: asyncio.Task | None = None

    async def start(self) -> None:
        layer = get_channel_layer()
        try:
            self.channel = await layer.new_channel("live.feed.")
            await layer.group_add(group_name(self.event_id), self.channel)
        except Exception as exc:
            self.ready.set_exception(exc)
            raise
        self.reader = asyncio.ensure_future(self._read(layer, self.channel))
        self.watchdog = asyncio.ensure_future(self._watch())
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

    async def _watch(self) -> None:
        """Once a second: close the listeners whose socket stopped taking frames."""
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            now = self.loop.time()
            for outbox in list(self.outboxes):
                if outbox.overdue(now):
                    outbox.stuck()

    async def stop(self) -> None:
        for task in (self.reader, self.watchdog):
            if task is not None:
                task.cancel()
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
