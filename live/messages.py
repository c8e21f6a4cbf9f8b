"""What the live stream sends, built once per change and shared by all
listeners of the event.

Messages carry deltas (which status lost one, which gained one) rather than
recomputed numbers: a delta costs no query and deltas from several processes
commute, while snapshots could arrive out of order. Each connection also gets
a fresh snapshot on connect and every few seconds (see consumers.py), which
erases any drift, e.g. from messages lost while Redis was down.
"""

from __future__ import annotations

from typing import Any

from registrants.models import Registrant, StatusChange
from registrants.presenters import (
    actor_display_name,
    live_change,
    live_registrant_message,
    live_status_message,
    registrant_summary,
)

MAX_BATCH = 200  # changes per channel-layer message


def group_name(event_id: int) -> str:
    return f"event.{event_id}"


def batch_message(event_id: int, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """One channel-layer message for `messages` (one event's, in commit
    order); live.consumers unpacks a `live.batch` into the same per-change
    frames a browser gets for single changes."""
    if len(messages) == 1:
        return messages[0]
    return {"type": "live.batch", "event": event_id, "messages": messages}


def status_change_message(
    change_ids: list[int],
    *,
    registrant: Registrant | None = None,
    change_rows: list[StatusChange] | None = None,
) -> dict[str, Any] | None:
    """One message for the rows written by one committed status change.

    Built from the objects the service wrote when it passes them; otherwise
    the rows are read back by id.
    """
    if registrant is not None and change_rows:
        changes = sorted(change_rows, key=lambda c: c.pk)
        for change in changes:
            change.registrant = registrant
    else:
        changes = list(
            StatusChange.objects.filter(pk__in=change_ids)
            .select_related("actor", "registrant", "registrant__company")
            .order_by("id")
        )
    if not changes:
        return None  # nothing to tell
    registrant = changes[-1].registrant
    return live_status_message(
        event_id=registrant.event_id,
        registrant=registrant_summary(registrant),
        changes=[
            live_change(
                id=c.pk,
                from_status=c.from_status,
                to_status=c.to_status,
                at=c.at,
                actor=actor_display_name(c.actor) if c.actor_id else None,
                source=c.source,
                note=c.note,
            )
            for c in changes
        ],
    )


def registrant_message(
    *, event_id: int, registrant_id: int, action: str, status: str
) -> dict[str, Any]:
    """Creation, edit or erasure of a registrant. None moves the numbers: a
    creation's come with its first history row, and an erased registrant
    keeps its status (registrants/erasure.py)."""
    registrant = Registrant.objects.select_related("company").filter(pk=registrant_id).first()
    return live_registrant_message(
        event_id=event_id,
        action=action,
        registrant=registrant_summary(registrant)
        if registrant
        else {"id": registrant_id, "status": status},
    )
