"""The websocket stream of one event: /ws/events/<id>/.

Authenticated by the browser session (AuthMiddlewareStack); any role that
may read the event may listen; anonymous connections are refused (close code
4401), users without the right (or not assigned to the event) 4403, unknown events 4404. Cross-origin
connections are refused before they get here (live/origin.py, in
config/asgi.py). An open stream whose user loses access to the event (an
assignment removed, the account deactivated, a role changed) is closed with
4403 (live/access_watch.py).

Each connection gets a snapshot of the numbers on connect and then every
SNAPSHOT_SECONDS from a per-process ticker that counts once per event and
shares the result with every local listener; between snapshots it gets
every committed change as a delta (see messages.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from config import logs
from config.request_log import request_id_for
from registrants import selectors
from registrants.models import Event
from registrants.permissions import P_VIEW_EVENT, may_access_event

from .access_watch import close_code_now, user_group
from .messages import group_name

logger = logging.getLogger(__name__)

SNAPSHOT_SECONDS = 3.0
SEND_TIMEOUT_SECONDS = 5.0

MALFORMED_FRAME = {
    "type": "error",
    "error": {
        "code": "malformed_request",
        "message": 'Send JSON text such as {"type": "resync"}.',
        "fields": {},
    },
}

# Per process: event id -> the consumers listening to it here.
_listeners: dict[int, set[EventStreamConsumer]] = defaultdict(set)
_ticker: asyncio.Task | None = None


@database_sync_to_async
def _may_listen(user, event_id: int) -> int:
    """0 when allowed, else the close code."""
    if not (user and user.is_authenticated):
        return 4401
    if not user.has_perm(P_VIEW_EVENT) or not may_access_event(user, event_id):
        return 4403
    if not Event.objects.filter(pk=event_id).exists():
        return 4404
    return 0


@database_sync_to_async
def _snapshot(event_id: int) -> dict:
    return selectors.event_counts(event_id=event_id)


async def _send_snapshots() -> None:
    """Count once per event with local listeners, send to each of them."""
    for event_id, consumers in list(_listeners.items()):
        if not consumers:
            _listeners.pop(event_id, None)
            continue
        try:
            numbers = await _snapshot(event_id)
        except Exception as exc:
            logger.warning("live snapshot failed: %s", type(exc).__name__)
            continue
        message = {"type": "numbers", **numbers}
        # One task per connection: a slow client cannot hold up the others.
        for consumer in list(consumers):
            asyncio.ensure_future(consumer.send_bounded(message))


async def _tick_forever() -> None:
    while True:
        await asyncio.sleep(SNAPSHOT_SECONDS)
        try:
            await _send_snapshots()
        except Exception:
            logger.exception("live ticker failed")


def _ensure_ticker() -> None:
    global _ticker
    if _ticker is None or _ticker.done():
        _ticker = asyncio.ensure_future(_tick_forever())


class EventStreamConsumer(AsyncJsonWebsocketConsumer):
    """Streams one event's committed changes and numbers to one browser."""

    async def connect(self) -> None:
        self.event_id = int(self.scope["url_route"]["kwargs"]["event_id"])
        self.group = group_name(self.event_id)
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            # Joined before the access check, so that a change committed
            # between the check and the join cannot go unnoticed.
            self.user_group = user_group(user.pk)
            await self.channel_layer.group_add(self.user_group, self.channel_name)
        refusal = await _may_listen(user, self.event_id)
        if refusal:
            await self.close(code=refusal)
            return
        # Join before the snapshot, so no change falls between the two.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        _listeners[self.event_id].add(self)
        _ensure_ticker()
        # From here this connection's lines carry its id (the upgrade
        # request's X-Request-ID when sane), user and event. Bound after
        # _ensure_ticker: the shared ticker task must not inherit them.
        header = dict(self.scope.get("headers", ())).get(b"x-request-id", b"")
        logs.bind(
            request_id=request_id_for(header.decode("latin-1")),
            user_id=getattr(self.scope.get("user"), "pk", None),
            event_id=self.event_id,
        )
        await self.send_json({"type": "numbers", **(await _snapshot(self.event_id))})

    async def disconnect(self, code) -> None:
        _listeners.get(getattr(self, "event_id", -1), set()).discard(self)
        failures = []
        for group in (getattr(self, "group", None), getattr(self, "user_group", None)):
            if group is None:
                continue
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception as exc:  # Redis may be the reason we are closing
                failures.append(type(exc).__name__)
        if failures:
            logger.warning("live group_discard failed: %s", ", ".join(failures))

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        """A frame from the page. One that is not JSON text (binary, broken,
        nested past the parser's recursion limit) gets an error frame in
        the API's error shape; the connection stays open."""
        try:
            if text_data is None:
                raise ValueError("expected a text frame")
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            await self.send_json(MALFORMED_FRAME)
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content, **kwargs) -> None:
        # The page may ask for a snapshot at once (e.g. after it reconnected).
        if isinstance(content, dict) and content.get("type") == "resync":
            await self.send_json({"type": "numbers", **(await _snapshot(self.event_id))})

    async def live_change(self, message: dict) -> None:
        """A committed change from any process (group_send type live.change)."""
        payload = {k: v for k, v in message.items() if k != "type"}
        await self.send_bounded({"type": "change", **payload})

    async def live_batch(self, message: dict) -> None:
        """Several committed changes in one group_send (the gateway coalesces
        them at door rate): sent to the browser one by one, as live_change."""
        for change in message.get("messages", ()):
            await self.live_change(change)

    async def access_recheck(self, message: dict) -> None:
        """The user's access changed somewhere (access_watch): close with
        4403 if this event is no longer theirs."""
        code = await close_code_now(self.scope["user"].pk, self.event_id)
        if code:
            logger.info("closing a live stream whose user lost access to the event")
            _listeners.get(self.event_id, set()).discard(self)
            await self.close(code=code)

    async def send_bounded(self, message: dict) -> None:
        """Send, but give up on a client that cannot take it within the timeout."""
        try:
            await asyncio.wait_for(self.send_json(message), SEND_TIMEOUT_SECONDS)
        except TimeoutError:
            logger.info("closing a live client that stopped reading")
            await self.close(code=4408)
        except Exception as exc:
            logger.debug("live send failed: %s", type(exc).__name__)
