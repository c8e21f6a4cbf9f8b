"""A single registrant's status change, with its history row (_apply, _record)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from .. import lifecycle, waitlist
from ..erasure import refuse_if_erased
from ..errors import ApplicationError
from ..lifecycle import Kind, Status
from ..locks import lock_registrant
from ..models import Registrant, Source, StatusChange, WaitlistOffer
from ..validation import require_plain_text
from .announce import _announce_status_change
from .common import (
    ALL_KINDS,
    Actor,
    _actor_or_none,
    _lock_event,
    _require_free_seat,
)


def _record(
    registrant: Registrant,
    *,
    from_status: str,
    to_status: str,
    actor: Actor,
    source: str,
    note: str = "",
    at: datetime.datetime | None = None,
) -> StatusChange:
    return StatusChange.objects.create(
        registrant=registrant,
        event_id=registrant.event_id,
        from_status=from_status,
        to_status=to_status,
        at=at or timezone.now(),
        actor=_actor_or_none(actor),
        source=source,
        note=note,
    )


@dataclass
class StatusResult:
    """The outcome of a status change or a scan."""

    registrant: Registrant
    changed: bool
    changes: list[StatusChange] = field(default_factory=list)
    # When nothing changed: the history row that put them where they are.
    previous: StatusChange | None = None


def invalid_transition(registrant: Registrant, to_status: str) -> ApplicationError:
    """The invalid_transition refusal, naming the current status and the allowed moves."""
    allowed = [s.value for s in lifecycle.allowed_targets(registrant.status)]
    return ApplicationError(
        "invalid_transition",
        f"Cannot move from {registrant.status} to {to_status}; "
        f"allowed from {registrant.status}: {', '.join(allowed) or 'nothing'}.",
        details={"current_status": registrant.status, "allowed": allowed},
    )


def _permission_denied(kind: Kind, registrant: Registrant, to_status: str) -> ApplicationError:
    return ApplicationError(
        "permission_denied",
        f"Your role may not {kind.value} a registrant ({registrant.status} to {to_status}).",
    )


def _last_change_to(registrant: Registrant, status: str) -> StatusChange | None:
    return (
        StatusChange.objects.filter(registrant_id=registrant.pk, to_status=status)
        .select_related("actor")
        .order_by("-id")
        .first()
    )


def _note_required(kind: Kind) -> ApplicationError:
    return ApplicationError(
        "validation_error",
        f"A {kind.value} needs a note saying why; it is kept in the history.",
        fields={"note": ["Say why this is corrected."]},
    )


def registrant_change_status(
    *,
    registrant_id: int,
    to_status: str,
    actor: Actor = None,
    source: str = Source.API,
    note: str = "",
    allowed_kinds: Iterable[Kind] = ALL_KINDS,
) -> StatusResult:
    """Move a registrant to `to_status`, writing its history row.

    Asking for the current status is a no-op (changed=False, no row).
    Raises not_found, erased (409), invalid_transition (409), permission_denied (403) when
    the move's kind is not in `allowed_kinds` (the caller's role),
    validation_error (400) for a correction without a note, and event_full
    (409) for a reinstate or a promotion without a free seat. A move that
    frees a seat offers it to the waitlist's next person, in the same
    transaction (registrants/waitlist.py).
    """
    if to_status not in Status.values:
        raise ApplicationError(
            "validation_error",
            f'"{to_status}" is not a status.',
            fields={"to_status": [f"Use one of: {', '.join(Status.values)}."]},
        )
    require_plain_text(note=note, multiline=("note",))
    to_status = Status(to_status)
    with transaction.atomic():
        registrant = lock_registrant(registrant_id)
        refuse_if_erased(registrant)
        if registrant.status == to_status:
            return StatusResult(
                registrant, changed=False, previous=_last_change_to(registrant, to_status)
            )
        kind = lifecycle.kind_of(registrant.status, to_status)
        if kind is None:
            raise invalid_transition(registrant, to_status)
        if kind not in set(allowed_kinds):
            raise _permission_denied(kind, registrant, to_status)
        if kind in lifecycle.NOTE_REQUIRED and not note.strip():
            raise _note_required(kind)
        if kind in lifecycle.NEEDS_SEAT:
            # The event before any offer row: the order refill takes them in.
            event = _lock_event(registrant.event_id)
            if kind == Kind.PROMOTE:
                # Promoted by hand: their own open offer stops holding a seat.
                waitlist.close_offers([registrant.pk], WaitlistOffer.State.WITHDRAWN)
            _require_free_seat(event)
        freed = lifecycle.frees_seat(registrant.status, to_status)
        change = _apply(registrant, to_status, actor=actor, source=source, note=note)
        if freed:
            waitlist.refill(_lock_event(registrant.event_id))
        _announce_status_change(registrant, [change])
    return StatusResult(registrant, changed=True, changes=[change])


def _apply(
    registrant: Registrant, to_status: str, *, actor: Actor, source: str, note: str = ""
) -> StatusChange:
    """Write one move: the history row and the status, in the caller's transaction."""
    change = _record(
        registrant,
        from_status=registrant.status,
        to_status=to_status,
        actor=actor,
        source=source,
        note=note,
    )
    registrant.status = to_status
    registrant.save(update_fields=["status", "updated_at"])
    return change
