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
every committed change as a delta (see messages.py). The changes reach it
through this process's one subscription to the event (fanout.py), already
encoded, in the order the process received them.
"""

from __future__ import annotations

import asyncio
import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from config import logs
from config.request_log import request_id_for
from registrants import selectors
from registrants.models import Event
from registrants.permissions import P_VIEW_EVENT, may_access_event

from . import fanout
from .access_watch import close_code_now, user_group

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


def _snapshot_frame(numbers: dict) -> str:
    return json.dumps({"type": "numbers", **numbers})


async def _send_snapshots() -> None:
    """Count once per event with local listeners; queue the same frame for
    each of them, behind the changes already queued."""
    for event_id in fanout.listening_events():
        try:
            numbers = await _snapshot(event_id)
        except Exception as exc:
            logger.warning("live snapshot failed: %s", type(exc).__name__)
            continue
        fanout.push_to_event(event_id, [_snapshot_frame(numbers)])


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

    outbox: fanout.Outbox | None = None

    async def connect(self) -> None:
        self.event_id = int(self.scope["url_route"]["kwargs"]["event_id"])
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
        # Join before the snapshot, so no change falls between the two; the
        # outbox holds the changes until the snapshot is out.
        self.outbox = fanout.Outbox(self._send_text, self._close_stuck, SEND_TIMEOUT_SECONDS)
        await fanout.join(self.event_id, self.outbox)
        await self.accept()
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
        await self.send(text_data=_snapshot_frame(await _snapshot(self.event_id)))
        self.outbox.release()

    async def disconnect(self, code) -> None:
        failures = []
        if self.outbox is not None:
            self.outbox.close()
            try:
                await fanout.leave(self.event_id, self.outbox)
            except Exception as exc:  # Redis may be the reason we are closing
                failures.append(type(exc).__name__)
        if getattr(self, "user_group", None) is not None:
            try:
                await self.channel_layer.group_discard(self.user_group, self.channel_name)
            except Exception as exc:
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
        if isinstance(content, dict) and content.get("type") == "resync" and self.outbox:
            self.outbox.push([_snapshot_frame(await _snapshot(self.event_id))])

    async def access_recheck(self, message: dict) -> None:
        """The user's access changed somewhere (access_watch): close with
        4403 if this event is no longer theirs."""
        code = await close_code_now(self.scope["user"].pk, self.event_id)
        if code:
            logger.info("closing a live stream whose user lost access to the event")
            if self.outbox is not None:
                self.outbox.close()
            await self.close(code=code)

    async def _send_text(self, text: str) -> None:
        await self.send(text_data=text)

    async def _close_stuck(self) -> None:
        logger.info("closing a live client that stopped reading")
        await self.close(code=4408)
