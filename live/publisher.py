"""Publishes committed domain changes to the event's live stream.

The domain services send their signals from `transaction.on_commit`, so a
rolled-back change is never announced (RELIABILITY F1). Publishing never
raises into the writer: if Redis is down the failure is logged and the write
stands; live pages resync from their periodic snapshot.

How a message reaches the channel layer depends on where we run:
- the in-process layer (embedded default) lives on the ASGI server's event
  loop; async_to_sync hands the send to that loop.
- the Redis layer is used from one long-lived background loop per process,
  fire-and-forget, so that a WSGI worker (no loop of its own) keeps one Redis
  connection instead of opening one per message, and the writer does not
  wait for Redis before answering.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from concurrent.futures import Future
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.dispatch import receiver

from config import logs
from registrants.signals import registrant_changed, status_changed, statuses_changed

from .messages import (
    MAX_BATCH,
    batch_message,
    group_name,
    registrant_message,
    status_change_message,
)

logger = logging.getLogger(__name__)

_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _loop_lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="live-publisher", daemon=True)
            thread.start()
            _loop = loop
        return _loop


def _log_failure(context: dict[str, Any], future: Future) -> None:
    """Done callback on the publisher's loop, which runs outside the
    request: `context` carries the request's ids onto the line."""
    exc = future.exception()
    if exc is not None:
        logger.warning("live publish failed: %s: %s", type(exc).__name__, exc, extra=context)


def publish(event_id: int, message: dict[str, Any]) -> Future | None:
    """Send `message` to every listener of the event. Never raises."""
    return send_to_group(group_name(event_id), message, event_id=event_id)


def send_to_group(
    group: str, message: dict[str, Any], *, event_id: int | None = None
) -> Future | None:
    """Send `message` to a channel-layer group (see `publish`). Never raises."""
    try:
        layer = get_channel_layer()
        if layer is None:
            return None
        if isinstance(layer, InMemoryChannelLayer):
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is not None:
                # Called from code running on an event loop's own thread:
                # async_to_sync would refuse, so schedule it on that loop.
                running.create_task(layer.group_send(group, message))
            else:
                async_to_sync(layer.group_send)(group, message)
            return None
        future = asyncio.run_coroutine_threadsafe(
            layer.group_send(group, message), _background_loop()
        )
        context = {"request_id": logs.request_id.get(), "event_id": event_id}
        future.add_done_callback(functools.partial(_log_failure, context))
        return future
    except Exception as exc:  # a live page is never worth a failed write
        logger.warning("live publish failed: %s: %s", type(exc).__name__, exc)
        return None


@receiver(status_changed, dispatch_uid="live.status_changed")
def _on_status_changed(sender, *, event_id: int, registrant_id: int, changes: list[int], **kwargs):
    try:
        message = status_change_message(
            changes, registrant=kwargs.get("registrant"), change_rows=kwargs.get("change_rows")
        )
    except Exception:
        logger.exception("could not build the live message for registrant %s", registrant_id)
        return
    if message is not None:
        publish(event_id, message)


@receiver(statuses_changed, dispatch_uid="live.statuses_changed")
def _on_statuses_changed(sender, *, moves: list, **kwargs) -> None:
    """A bulk action's committed moves: the same per-change messages as
    status_changed gives, sent as `live.batch` messages of up to MAX_BATCH
    changes per event (one channel-layer send each)."""
    by_event: dict[int, list[dict[str, Any]]] = {}
    for registrant, rows in moves:
        try:
            message = status_change_message(
                [row.pk for row in rows], registrant=registrant, change_rows=rows
            )
        except Exception:
            logger.exception("could not build the live message for registrant %s", registrant.pk)
            continue
        if message is not None:
            by_event.setdefault(registrant.event_id, []).append(message)
    for event_id, messages in by_event.items():
        for start in range(0, len(messages), MAX_BATCH):
            publish(event_id, batch_message(event_id, messages[start : start + MAX_BATCH]))


@receiver(registrant_changed, dispatch_uid="live.registrant_changed")
def _on_registrant_changed(
    sender, *, event_id: int, registrant_id: int, action: str, status: str, **kwargs
):
    try:
        message = registrant_message(
            event_id=event_id, registrant_id=registrant_id, action=action, status=status
        )
    except Exception:
        logger.exception("could not build the live message for registrant %s", registrant_id)
        return
    publish(event_id, message)
