"""One status change applied to many registrants, chunk by chunk."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .. import lifecycle, waitlist
from ..erasure import erased_error
from ..errors import ApplicationError
from ..lifecycle import Kind, Status
from ..models import Event, Registrant, Source, StatusChange, WaitlistOffer
from ..signals import history_rows_created
from ..validation import require_plain_text
from .announce import _announce_status_changes
from .common import ALL_KINDS, Actor, _actor_or_none, _event_full, seats_held
from .transitions import _permission_denied, invalid_transition


def _correction_not_in_bulk(registrant: Registrant, to_status: str) -> ApplicationError:
    # A bulk "check in" or "cancel" must never quietly move people already
    # inside: corrections are made one registrant at a time, with a note.
    allowed = [
        s.value
        for s in lifecycle.allowed_targets(registrant.status)
        if lifecycle.kind_of(registrant.status, s) not in lifecycle.NOTE_REQUIRED
    ]
    return ApplicationError(
        "invalid_transition",
        f"Moving from {registrant.status} to {to_status} is a correction: make it one "
        "registrant at a time, with a note.",
        details={"current_status": registrant.status, "allowed": allowed},
    )


@dataclass
class BulkRowResult:
    registrant_id: int
    ok: bool
    changed: bool = False
    status: str | None = None
    error_code: str | None = None
    message: str = ""


# Registrants per transaction of a bulk change: small enough that a big
# action holds its row locks (and, for reinstatements, the event's) only
# briefly, big enough to spread each statement's fixed cost thin. The H1
# tests lower it to make one action span several transactions.
BULK_CHUNK_SIZE = 500


def registrants_bulk_change_status(
    *,
    registrant_ids: Iterable[int],
    to_status: str,
    actor: Actor = None,
    source: str = Source.DASHBOARD,
    note: str = "",
    allowed_kinds: Iterable[Kind] = ALL_KINDS,
) -> list[BulkRowResult]:
    """Apply one status change to many registrants: one result per distinct
    id, in input order (a repeated id is handled once).

    Each gets what registrant_change_status would give it, except that
    corrections are refused as invalid_transition: not_found, erased, a
    no-op, invalid_transition, permission_denied (outside `allowed_kinds`),
    event_full (the first in input order get the seats), or the move. A
    refusal does not undo the others. Set-based: each chunk of
    BULK_CHUNK_SIZE ids is one transaction; a failed write loses only its
    chunk and propagates.
    """
    require_plain_text(note=note, multiline=("note",))
    # The pk field's own conversion: an id given as "12" is registrant 12,
    # and a malformed one fails as Registrant.objects.get(pk=...) would, but
    # before anything is written.
    pk_field = Registrant._meta.pk
    assert pk_field is not None
    ids = list(dict.fromkeys(pk_field.get_prep_value(rid) for rid in registrant_ids))
    if to_status not in Status.values:
        # registrant_change_status refuses an unknown status before it looks
        # at the registrant: every row gets the same refusal.
        message = f'"{to_status}" is not a status.'
        return [
            BulkRowResult(rid, ok=False, error_code="validation_error", message=message)
            for rid in ids
        ]
    target, kinds = Status(to_status), frozenset(allowed_kinds)
    results: list[BulkRowResult] = []
    for start in range(0, len(ids), BULK_CHUNK_SIZE):
        results += _bulk_change_chunk(
            ids[start : start + BULK_CHUNK_SIZE],
            target,
            actor=actor,
            source=source,
            note=note,
            kinds=kinds,
        )
    return results


def _bulk_change_chunk(
    ids: list[int],
    to_status: Status,
    *,
    actor: Actor,
    source: str,
    note: str,
    kinds: frozenset[Kind],
) -> list[BulkRowResult]:
    """One transaction of registrants_bulk_change_status (`ids` distinct)."""
    refused: dict[int, ApplicationError] = {}
    with transaction.atomic():
        # Locked in id order, whatever the input order, so that two bulk
        # actions over overlapping registrants queue instead of deadlocking.
        # The company comes along for the live messages (one join instead of
        # a query per message); only registrant rows are locked, as in
        # registrant_scan.
        locked = {
            r.pk: r
            for r in Registrant.objects.select_for_update(of=("self",))
            .select_related("company")
            .filter(pk__in=ids)
            .order_by("pk")
        }
        movers: list[Registrant] = []  # input order
        for rid in ids:
            registrant = locked.get(rid)
            if registrant is None:
                refused[rid] = ApplicationError("not_found", "No such registrant.")
                continue
            if registrant.erased_at is not None:
                refused[rid] = erased_error(registrant)
                continue
            if registrant.status == to_status:
                continue  # a no-op: nothing written
            kind = lifecycle.kind_of(registrant.status, to_status)
            if kind is None:
                refused[rid] = invalid_transition(registrant, to_status)
            elif kind in lifecycle.NOTE_REQUIRED:
                refused[rid] = _correction_not_in_bulk(registrant, to_status)
            elif kind not in kinds:
                refused[rid] = _permission_denied(kind, registrant, to_status)
            else:
                movers.append(registrant)
        refused.update(
            _refuse_reinstatements_beyond_seats(
                [
                    r
                    for r in movers
                    if lifecycle.kind_of(r.status, to_status) in lifecycle.NEEDS_SEAT
                ]
            )
        )
        movers = [r for r in movers if r.pk not in refused]
        if movers:
            froms = {r.pk: r.status for r in movers}
            now = timezone.now()
            # History first, as _apply does: a failed insert leaves the
            # statuses alone, and the rollback takes the whole chunk.
            changes = _record_many(
                movers, to_status=to_status, actor=actor, source=source, note=note, at=now
            )
            history_rows_created.send(sender=StatusChange, changes=changes)
            # One target status for the whole chunk, so one UPDATE. It sets
            # updated_at itself: .update() skips auto_now.
            Registrant.objects.filter(pk__in=[r.pk for r in movers]).update(
                status=to_status, updated_at=now
            )
            for registrant in movers:
                registrant.status, registrant.updated_at = to_status, now
            # One announcement for the chunk: the live dashboards get its
            # changes in a few channel-layer messages instead of one each.
            _announce_status_changes(
                [(r, [change]) for r, change in zip(movers, changes, strict=True)]
            )
            _refill_freed(movers, froms)
    moved = {r.pk for r in movers}
    results = []
    for rid in ids:
        if rid in refused:
            error = refused[rid]
            results.append(
                BulkRowResult(rid, ok=False, error_code=error.code, message=error.message)
            )
        else:
            results.append(BulkRowResult(rid, ok=True, changed=rid in moved, status=to_status))
    return results


def _refill_freed(movers: list[Registrant], froms: dict[int, str]) -> None:
    """Offer the seats this chunk freed to the waitlists, events in id order
    after the chunk's registrant locks (as every service takes them)."""
    event_ids = {r.event_id for r in movers if lifecycle.frees_seat(froms[r.pk], r.status)}
    for event in Event.objects.select_for_update().filter(pk__in=event_ids).order_by("pk"):
        waitlist.refill(event)


def _refuse_reinstatements_beyond_seats(
    reinstating: list[Registrant],
) -> dict[int, ApplicationError]:
    """event_full for the reinstatements (in input order) that do not fit.

    Each event is locked (in id order) and its seats are counted once, as
    _lock_event and _require_free_seat do for one reinstatement; then the
    first ones in order take the free seats. The other moves of a bulk
    change share its one target status, so no other row of the chunk takes
    or frees a seat: counting once gives what counting per row would.
    """
    if not reinstating:
        return {}
    events = {
        e.pk: e
        for e in Event.objects.select_for_update()
        .filter(pk__in={r.event_id for r in reinstating})
        .order_by("pk")
    }
    # Promoted by hand: their own open offers stop holding seats (offer rows
    # after the events' locks, the order refill takes them in).
    waitlist.close_offers([r.pk for r in reinstating], WaitlistOffer.State.WITHDRAWN)
    taken = {pk: seats_held(event_id=pk) for pk in events}
    refused: dict[int, ApplicationError] = {}
    for registrant in reinstating:
        event = events[registrant.event_id]
        if taken[event.pk] >= event.capacity:
            refused[registrant.pk] = _event_full(event, taken[event.pk])
        else:
            taken[event.pk] += 1
    return refused


def _record_many(
    registrants: list[Registrant],
    *,
    to_status: str,
    actor: Actor,
    source: str,
    note: str,
    at: datetime.datetime,
) -> list[StatusChange]:
    """_record for many registrants in one INSERT, each row from the
    registrant's current status. The rows come back with their ids
    (PostgreSQL, and SQLite >= 3.35, return them), which the live messages
    carry."""
    who = _actor_or_none(actor)
    return StatusChange.objects.bulk_create(
        [
            StatusChange(
                registrant=registrant,
                event_id=registrant.event_id,
                from_status=registrant.status,
                to_status=to_status,
                at=at,
                actor=who,
                source=source,
                note=note,
            )
            for registrant in registrants
        ]
    )
