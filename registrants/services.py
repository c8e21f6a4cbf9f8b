"""Every write of the domain. Each function owns its transaction.

Rules the services keep (see docs/decisions/):
- A status change and its StatusChange row commit together or not at all.
- The registrant row is locked (SELECT ... FOR UPDATE) before its status is
  read, so that concurrent changes serialise; on SQLite the IMMEDIATE
  transaction mode serialises all writers instead.
- Seats are counted with the event row locked, so capacity holds under
  concurrency (docs/decisions/0002-capacity-guard.md).
- Side effects (signals for live pages) leave only via transaction.on_commit.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from . import audit_trail, event_options, lifecycle, scanning
from .erasure import erased_error, refuse_if_erased, registrant_erase, registrants_erase
from .errors import ApplicationError
from .lifecycle import Kind, ScanMode, Status
from .models import (
    Company,
    Event,
    GuestType,
    Registrant,
    ScanReceipt,
    Source,
    StatusChange,
    new_check_in_codes,
)
from .normalization import clean_company_name, normalize_company_name, normalize_email
from .signals import registrant_changed, status_changed, statuses_changed
from .validation import require_plain_text

Actor = AbstractBaseUser | None

ALL_KINDS: frozenset[Kind] = frozenset(Kind)


def actor_display_name(actor: Any) -> str:
    """How a person is named on screens and in messages."""
    if actor is None:
        return "system"
    full = actor.get_full_name() if hasattr(actor, "get_full_name") else ""
    return full or actor.get_username()


def _actor_or_none(actor: Actor) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _announce_status_change(registrant: Registrant, changes: list[StatusChange]) -> None:
    """Tell receivers after commit. The rows themselves travel with the
    signal, so that the live publisher need not read back what was just
    written (that read cost a quarter of a scan request)."""
    event_id, registrant_id = registrant.event_id, registrant.pk
    change_ids = [c.pk for c in changes]
    transaction.on_commit(
        lambda: status_changed.send(
            sender=Registrant,
            event_id=event_id,
            registrant_id=registrant_id,
            changes=change_ids,
            registrant=registrant,
            change_rows=changes,
        )
    )


def _announce_status_changes(moves: list[tuple[Registrant, list[StatusChange]]]) -> None:
    """Tell receivers after commit about many registrants' moves at once."""
    if moves:
        transaction.on_commit(lambda: statuses_changed.send(sender=Registrant, moves=moves))


def _announce_registrant(event_id: int, registrant_id: int, action: str, status: str) -> None:
    transaction.on_commit(
        lambda: registrant_changed.send(
            sender=Registrant,
            event_id=event_id,
            registrant_id=registrant_id,
            action=action,
            status=status,
        )
    )


def seats_taken(*, event_id: int) -> int:
    """Registrants of the event that hold a seat (everyone not cancelled)."""
    return Registrant.objects.filter(event_id=event_id, status__in=lifecycle.SEAT_HOLDING).count()


def _lock_event(event_id: int) -> Event:
    try:
        return Event.objects.select_for_update().get(pk=event_id)
    except Event.DoesNotExist:
        raise ApplicationError("not_found", "No such event.") from None


def _require_free_seat(event: Event) -> None:
    taken = seats_taken(event_id=event.pk)
    if taken >= event.capacity:
        raise _event_full(event, taken)


def _event_full(event: Event, taken: int) -> ApplicationError:
    return ApplicationError(
        "event_full",
        f"The event is full: {taken} of {event.capacity} seats are taken.",
        details={"capacity": event.capacity, "seats_taken": taken},
    )


# --- Events ------------------------------------------------------------------


def event_create(
    *,
    name: str,
    date: datetime.date,
    capacity: int,
    time_zone: str | None = None,
    door_modes: list[str] | None = None,
    closed: bool = False,
    retention_days: int | None = None,
) -> Event:
    """Create an event. Raises validation_error for a capacity below 1, a
    name with control or text-direction characters, an unknown time zone or
    door mode."""
    require_plain_text(name=name)
    if capacity < 1:
        raise ApplicationError(
            "validation_error",
            "Capacity must be at least 1.",
            fields={"capacity": ["Ensure this value is greater than or equal to 1."]},
        )
    options = {
        "time_zone": event_options.validated_time_zone(
            time_zone or event_options.default_time_zone()
        ),
        "door_modes": event_options.validated_door_modes(
            event_options.default_door_modes() if door_modes is None else door_modes
        ),
        "retention_days": event_options.validated_retention_days(retention_days),
    }
    with transaction.atomic():
        return Event.objects.create(
            name=name, date=date, capacity=capacity, closed=closed, **options
        )


def event_update(
    *,
    event_id: int,
    name: str | None = None,
    date: datetime.date | None = None,
    capacity: int | None = None,
    time_zone: str | None = None,
    door_modes: list[str] | None = None,
    closed: bool | None = None,
    retention_days: Any = event_options.UNCHANGED,
) -> Event:
    """Edit an event (None leaves a field as it is). Lowering capacity below
    the seats taken raises capacity_below_seats_taken (409); an unknown time
    zone or door mode raises validation_error."""
    require_plain_text(name=name)
    options: dict[str, Any] = {}
    if time_zone is not None:
        options["time_zone"] = event_options.validated_time_zone(time_zone)
    if door_modes is not None:
        options["door_modes"] = event_options.validated_door_modes(door_modes)
    if closed is not None:
        options["closed"] = closed
    if retention_days is not event_options.UNCHANGED:
        options["retention_days"] = event_options.validated_retention_days(retention_days)
    with transaction.atomic():
        event = _lock_event(event_id)
        fields: list[str] = list(options)
        for field, value in options.items():
            setattr(event, field, value)
        if name is not None:
            event.name = name
            fields.append("name")
        if date is not None:
            event.date = date
            fields.append("date")
        if capacity is not None and capacity != event.capacity:
            if capacity < 1:
                raise ApplicationError(
                    "validation_error",
                    "Capacity must be at least 1.",
                    fields={"capacity": ["Ensure this value is greater than or equal to 1."]},
                )
            taken = seats_taken(event_id=event.pk)
            if capacity < taken:
                raise ApplicationError(
                    "capacity_below_seats_taken",
                    f"Capacity cannot go below the {taken} seats already taken.",
                    details={"seats_taken": taken, "capacity": event.capacity},
                )
            event.capacity = capacity
            fields.append("capacity")
        if fields:
            event.save(update_fields=[*fields, "updated_at"])
        return event


def event_delete(*, event_id: int) -> None:
    """Delete an event that has no registrants; else event_has_registrants (409)."""
    with transaction.atomic():
        event = _lock_event(event_id)
        count = Registrant.objects.filter(event_id=event.pk).count()
        if count:
            raise ApplicationError(
                "event_has_registrants",
                f"The event has {count} registrants; it cannot be deleted.",
                details={"registrants": count},
            )
        event.delete()


# --- Companies ---------------------------------------------------------------


def _validated_company_name(name: str) -> tuple[str, str]:
    require_plain_text(name=name)  # before cleaning folds tabs and line breaks into spaces
    display = clean_company_name(name or "")
    if not display:
        raise ApplicationError(
            "validation_error",
            "A company name cannot be blank.",
            fields={"name": ["This field may not be blank."]},
        )
    return display, normalize_company_name(display)


def company_get_or_create(*, name: str) -> Company:
    """The company this name normalises to, created if new.

    Safe under concurrency: a racing insert of the same name hits the unique
    index, and the loser reads the winner's row.
    """
    display, key = _validated_company_name(name)
    existing = Company.objects.filter(normalized_name=key).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return Company.objects.create(name=display, normalized_name=key)
    except IntegrityError:
        return Company.objects.get(normalized_name=key)


def company_create(*, name: str) -> Company:
    """Create a company; company_exists (409) if the name normalises to one."""
    display, key = _validated_company_name(name)
    try:
        with transaction.atomic():
            return Company.objects.create(name=display, normalized_name=key)
    except IntegrityError:
        existing = Company.objects.filter(normalized_name=key).first()
        raise ApplicationError(
            "company_exists",
            f'A company with this name already exists: "{existing.name if existing else display}".',
            details={"company_id": existing.pk if existing else None},
        ) from None


def company_rename(*, company_id: int, name: str) -> Company:
    """Change a company's display name; company_exists (409) on a clash."""
    display, key = _validated_company_name(name)
    try:
        with transaction.atomic():
            company = Company.objects.select_for_update().get(pk=company_id)
            company.name, company.normalized_name = display, key
            company.save(update_fields=["name", "normalized_name"])
            return company
    except Company.DoesNotExist:
        raise ApplicationError("not_found", "No such company.") from None
    except IntegrityError:
        existing = Company.objects.get(normalized_name=key)
        raise ApplicationError(
            "company_exists",
            f'Another company already has this name: "{existing.name}". Merge them instead.',
            details={"company_id": existing.pk},
        ) from None


def company_merge(*, source_id: int, into_id: int) -> Company:
    """Move every registrant of `source` to `into`, then delete `source`.

    History rows do not name companies, so they stay as they are.
    """
    if source_id == into_id:
        raise ApplicationError(
            "validation_error",
            "A company cannot be merged into itself.",
            fields={"into": ["Choose a different company."]},
        )
    with transaction.atomic():
        companies = {
            c.pk: c for c in Company.objects.select_for_update().filter(pk__in=[source_id, into_id])
        }
        if source_id not in companies:
            raise ApplicationError("not_found", "No such company.")
        if into_id not in companies:
            raise ApplicationError(
                "validation_error",
                "The company to merge into does not exist.",
                fields={"into": [f'Invalid pk "{into_id}" - object does not exist.']},
            )
        Registrant.objects.filter(company_id=source_id).update(
            company_id=into_id, updated_at=timezone.now()
        )
        companies[source_id].delete()
        return companies[into_id]


def company_delete(*, company_id: int) -> None:
    """Delete a company nobody belongs to; else company_has_registrants (409)."""
    with transaction.atomic():
        try:
            company = Company.objects.select_for_update().get(pk=company_id)
        except Company.DoesNotExist:
            raise ApplicationError("not_found", "No such company.") from None
        count = Registrant.objects.filter(company_id=company_id).count()
        if count:
            raise ApplicationError(
                "company_has_registrants",
                f"{count} registrants belong to this company; merge it into another instead.",
                details={"registrants": count},
            )
        company.delete()


# --- Registrants -------------------------------------------------------------


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


def registrant_register(
    *,
    event_id: int,
    name: str,
    email: str,
    guest_type: str = "attendee",
    company_name: str | None = None,
    company_id: int | None = None,
    actor: Actor = None,
    source: str = Source.API,
    note: str = "",
) -> Registrant:
    """Register someone for an event, with the creation history row.

    Raises not_found (no such event), event_closed (409), event_full (409),
    validation_error.
    """
    require_plain_text(note=note, multiline=("note",))
    clean_name, clean_email = _validated_details(
        name=name, email=email, guest_type=guest_type, company_name=company_name
    )
    assert clean_name is not None and clean_email is not None  # both were given
    name, email = clean_name, clean_email
    with transaction.atomic():
        event = _lock_event(event_id)
        event_options.refuse_if_closed(event)
        _require_free_seat(event)
        # Inside the transaction: a refused registration leaves no new company.
        company = _resolve_company(company_name=company_name, company_id=company_id)
        registrant = Registrant.objects.create(
            event=event,
            name=name,
            email=email,
            guest_type=guest_type,
            company=company,
            status=lifecycle.INITIAL_STATUS,
        )
        change = _record(
            registrant,
            from_status="",
            to_status=lifecycle.INITIAL_STATUS,
            actor=actor,
            source=source,
            note=note,
        )
        _announce_registrant(event.pk, registrant.pk, "created", registrant.status)
        _announce_status_change(registrant, [change])
    return registrant


def _validated_details(
    *, name: str | None, email: str | None, guest_type: str | None, company_name: Any = None
) -> tuple[str | None, str | None]:
    """Check the fields every path (API, admin, import) must get right."""
    require_plain_text(name=name, company=company_name if isinstance(company_name, str) else None)
    problems: dict[str, list[str]] = {}
    if name is not None:
        name = name.strip()
        if not name:
            problems["name"] = ["This field may not be blank."]
    if email is not None:
        email = normalize_email(email)
        try:
            validate_email(email)
        except DjangoValidationError:
            problems["email"] = ["Enter a valid email address."]
    if guest_type is not None and guest_type not in GuestType.values:
        problems["guest_type"] = [
            f'"{guest_type}" is not a guest type; use one of: {", ".join(GuestType.values)}.'
        ]
    if problems:
        field_name = next(iter(problems))
        raise ApplicationError(
            "validation_error", f"{field_name}: {problems[field_name][0]}", fields=problems
        )
    return name, email


def _resolve_company(*, company_name: str | None, company_id: int | None) -> Company | None:
    """The company a registration names, locked until the caller commits.

    The lock keeps a concurrent merge from deleting the company between
    here and the caller's commit (which would otherwise fail the foreign key
    at commit time). If a merge got there first, a named company is created
    afresh; a company given by id is reported as gone.
    """
    if company_id is not None:
        company = Company.objects.select_for_update().filter(pk=company_id).first()
        if company is None:
            raise ApplicationError(
                "validation_error",
                "That company does not exist.",
                fields={"company_id": [f'Invalid pk "{company_id}" - object does not exist.']},
            )
        return company
    if company_name is not None and company_name.strip():
        for _ in range(3):
            found = company_get_or_create(name=company_name)
            locked = Company.objects.select_for_update().filter(pk=found.pk).first()
            if locked is not None:
                return locked
        raise ApplicationError("conflict", "The company changed while registering; try again.")
    return None


_UNSET: Any = object()


def registrant_update(
    *,
    registrant_id: int,
    name: str | None = None,
    email: str | None = None,
    guest_type: str | None = None,
    company_name: str | None = _UNSET,
    company_id: int | None = _UNSET,
    actor: Actor = None,
) -> Registrant:
    """Edit a registrant's details. Status and event are not editable here.

    `company_name=""` or `company_id=None` clears the company. Raises
    not_found, erased (409) and validation_error.
    """
    name, email = _validated_details(
        name=name, email=email, guest_type=guest_type, company_name=company_name
    )
    with transaction.atomic():
        registrant = _lock_registrant(registrant_id)
        refuse_if_erased(registrant)
        company: Any = _UNSET
        if company_id is not _UNSET:
            company = _resolve_company(company_name=None, company_id=company_id)
        elif company_name is not _UNSET:
            company = _resolve_company(company_name=company_name, company_id=None)
        fields: list[str] = []
        if name is not None:
            registrant.name = name
            fields.append("name")
        if email is not None:
            registrant.email = email
            fields.append("email")
        if guest_type is not None:
            registrant.guest_type = guest_type
            fields.append("guest_type")
        if company is not _UNSET:
            registrant.company = company
            fields.append("company")
        if fields:
            audit_trail.record_edit(registrant, fields, actor=actor)
            registrant.save(update_fields=[*fields, "updated_at"])
            _announce_registrant(registrant.event_id, registrant.pk, "updated", registrant.status)
    return registrant


def registrant_delete(*, registrant_id: int, actor: Actor = None) -> None:
    """Delete a registrant: erase the person's data and keep the registration,
    its status and its history (registrants/erasure.py). Raises not_found."""
    registrant_erase(registrant_id=registrant_id, actor=actor)


def registrants_delete(*, registrant_ids: Iterable[int], actor: Actor = None) -> int:
    """registrant_delete for many (the admin's bulk delete); unknown ids are
    skipped. Returns how many were erased now."""
    return registrants_erase(registrant_ids=registrant_ids, actor=actor)


def _lock_registrant(registrant_id: int) -> Registrant:
    try:
        return Registrant.objects.select_for_update().get(pk=registrant_id)
    except Registrant.DoesNotExist:
        raise ApplicationError("not_found", "No such registrant.") from None


@dataclass
class StatusResult:
    """The outcome of a status change or a scan."""

    registrant: Registrant
    changed: bool
    changes: list[StatusChange] = field(default_factory=list)
    # When nothing changed: the history row that put them where they are.
    previous: StatusChange | None = None


def _invalid_transition(registrant: Registrant, to_status: str) -> ApplicationError:
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
    (409) for a reinstate without a free seat.
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
        registrant = _lock_registrant(registrant_id)
        refuse_if_erased(registrant)
        if registrant.status == to_status:
            return StatusResult(
                registrant, changed=False, previous=_last_change_to(registrant, to_status)
            )
        kind = lifecycle.kind_of(registrant.status, to_status)
        if kind is None:
            raise _invalid_transition(registrant, to_status)
        if kind not in set(allowed_kinds):
            raise _permission_denied(kind, registrant, to_status)
        if kind in lifecycle.NOTE_REQUIRED and not note.strip():
            raise _note_required(kind)
        if kind == Kind.REINSTATE:
            _require_free_seat(_lock_event(registrant.event_id))
        change = _apply(registrant, to_status, actor=actor, source=source, note=note)
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


def registrant_scan(
    *,
    code: str,
    mode: str,
    event_id: int,
    actor: Actor = None,
    source: str = Source.SCAN,
) -> StatusResult:
    """The desk and door operation: bring the code's holder to the mode's status.

    A scan belongs to the event `event_id`. Raises not_found (unknown code),
    wrong_event (409, a badge of another event: nothing changes), erased
    (409), cancelled (409), invalid_transition (409, e.g. an exit scan of
    someone never let in). A repeat is changed=False.
    """
    scan_mode = ScanMode(mode)
    with transaction.atomic():
        registrant = (
            Registrant.objects.select_for_update(of=("self",))
            .select_related("company", "event")
            .filter(check_in_code=code)
            .first()
        )
        if registrant is None:
            raise ApplicationError("not_found", "Unknown code: no registrant carries it.")
        refuse_if_erased(registrant)
        if registrant.event_id != event_id:
            raise scanning.wrong_event_error(
                registrant_summary(registrant),
                event_id=registrant.event_id,
                event_name=registrant.event.name,
            )
        plan = lifecycle.plan_scan(scan_mode, registrant.status)
        if plan.refusal == "cancelled":
            raise ApplicationError(
                "cancelled",
                f"{registrant.name}'s registration is cancelled.",
                details={"registrant": registrant_summary(registrant)},
            )
        if plan.refusal:
            error = _invalid_transition(registrant, lifecycle.SCAN_TARGET[scan_mode])
            error.details["registrant"] = registrant_summary(registrant)
            raise error
        if plan.repeat:
            return StatusResult(
                registrant,
                changed=False,
                previous=_last_change_to(registrant, registrant.status),
            )
        changes = [_apply(registrant, step, actor=actor, source=source) for step in plan.steps]
        _announce_status_change(registrant, changes)
    return StatusResult(registrant, changed=True, changes=changes)


def registrant_summary(registrant: Registrant) -> dict[str, Any]:
    """Who a scan or a live message is about: enough for a staff screen."""
    return {
        "id": registrant.pk,
        "name": registrant.name,
        "company": registrant.company.name if registrant.company is not None else None,
        "guest_type": registrant.guest_type,
        "status": registrant.status,
    }


def scan_with_nonce(
    *,
    user: Any,
    nonce: str,
    fingerprint: str,
    perform: Any,
) -> tuple[int, dict[str, Any], bool]:
    """Run `perform()` once per (user, nonce); a retry gets the first answer.

    `perform` returns (http_status, body); an ApplicationError it raises
    leaves no receipt (the refusal is not kept: wrong_event). The receipt is
    claimed first, in the same transaction as the scan, so that a concurrent
    retry waits on the unique index and then reads the stored answer.
    `fingerprint` (scanning.request_fingerprint) is what was asked: a
    receipt of another request raises nonce_reused (409), writing nothing.
    Returns (status, body, replayed).
    """

    def replay(stored: ScanReceipt) -> tuple[int, dict[str, Any], bool]:
        if not scanning.fingerprints_match(stored.fingerprint, fingerprint):
            raise scanning.nonce_reused_error()
        return stored.http_status, stored.response, True

    stored = ScanReceipt.objects.filter(user=user, nonce=nonce).first()
    if stored:
        return replay(stored)
    try:
        with transaction.atomic():
            receipt = ScanReceipt.objects.create(user=user, nonce=nonce, fingerprint=fingerprint)
            http_status, body = perform()
            receipt.http_status, receipt.response = http_status, body
            receipt.save(update_fields=["http_status", "response"])
            return http_status, body, False
    except IntegrityError:
        return replay(ScanReceipt.objects.get(user=user, nonce=nonce))


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
                refused[rid] = _invalid_transition(registrant, to_status)
            elif kind in lifecycle.NOTE_REQUIRED:
                refused[rid] = _correction_not_in_bulk(registrant, to_status)
            elif kind not in kinds:
                refused[rid] = _permission_denied(kind, registrant, to_status)
            else:
                movers.append(registrant)
        refused.update(
            _refuse_reinstatements_beyond_seats(
                [r for r in movers if lifecycle.kind_of(r.status, to_status) == Kind.REINSTATE]
            )
        )
        movers = [r for r in movers if r.pk not in refused]
        if movers:
            now = timezone.now()
            # History first, as _apply does: a failed insert leaves the
            # statuses alone, and the rollback takes the whole chunk.
            changes = _record_many(
                movers, to_status=to_status, actor=actor, source=source, note=note, at=now
            )
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
    taken = {pk: seats_taken(event_id=pk) for pk in events}
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


# --- Imports -------------------------------------------------------------------


class ImportedRegistrant(NamedTuple):
    """One row of an import, already checked by the importer (imports.validation).

    A named tuple: an import makes 100,000 of them, and a frozen
    dataclass's __init__ costs several times a tuple's."""

    row: int  # the spreadsheet row number, for the report
    name: str
    email: str
    guest_type: str
    company: str = ""  # a display name, or "" for none


@dataclass
class ImportBatchResult:
    created: int
    # Row numbers refused because the event ran out of seats (valid_rows mode).
    over_capacity: list[int] = field(default_factory=list)
    # The job's rows were already committed by an earlier delivery: nothing written.
    already_imported: bool = False


def import_start(*, event_id: int, marker: str) -> tuple[Event, int, int, int]:
    """The first step of every bulk import, in the caller's transaction:
    lock the event, then count the rows an earlier run of this import
    (`marker`) created, the seats taken and the seats free.
    Returns (event, previously imported, taken, free); raises not_found."""
    event = _lock_event(event_id)
    previous = StatusChange.objects.filter(
        event_id=event.pk, source=Source.IMPORT, from_status="", note=marker
    ).count()
    taken = seats_taken(event_id=event.pk)
    return event, previous, taken, max(0, event.capacity - taken)


def registrants_import_batch(
    *,
    event_id: int,
    rows: Iterable[ImportedRegistrant] = (),
    chunks: Iterable[list[ImportedRegistrant]] | None = None,
    expected: int | None,
    actor: Actor,
    marker: str,
    all_or_nothing: bool,
    chunk_size: int = 2000,
) -> ImportBatchResult:
    """Create many registrants of one event, each with its creation history
    row (source import, `actor`, note `marker`), in one transaction.

    The bulk twin of registrant_register (same event lock and seat count),
    in chunks (COPY on PostgreSQL). History rows carrying `marker` mean the
    job committed before: nothing is written (already_imported=True). With
    `all_or_nothing`, rows that do not all fit raise event_full; otherwise
    rows beyond the seats are listed in over_capacity. `chunks` streams
    rows in; `expected=None` means their number is not known yet.
    Raises not_found, event_closed, event_full. See docs/decisions/0006.
    """
    with transaction.atomic():
        event, previous, taken, free = import_start(event_id=event_id, marker=marker)
        if previous:
            return ImportBatchResult(created=previous, already_imported=True)
        event_options.refuse_if_closed(event)
        if all_or_nothing and expected is not None and expected > free:
            raise _import_event_full(event, taken, expected)
        insert = _insert_imported_sql if connection.vendor == "postgresql" else _insert_imported
        result = ImportBatchResult(created=0)
        company_ids: dict[str, int] = {}
        who, now = _actor_or_none(actor), timezone.now()
        for chunk in _chunks(rows, chunk_size) if chunks is None else chunks:
            fitting = chunk[: max(0, free - result.created)]
            result.over_capacity.extend(r.row for r in chunk[len(fitting) :])
            if not fitting:
                continue
            _company_ids_for([r.company for r in fitting], company_ids)
            created = insert(
                event.pk,
                fitting,
                company_ids,
                at=now,
                actor_id=who.pk if who else None,
                marker=marker,
            )
            result.created += created
        if all_or_nothing and result.over_capacity:
            # Streamed (expected=None): the rows are counted only now.
            raise _import_event_full(
                event, taken, result.created + len(result.over_capacity), result.over_capacity
            )
    # No per-row signals: 100,000 live messages would swamp the dashboards;
    # their periodic snapshot (docs/decisions/0005) shows the import within 3 s.
    return result


def _import_event_full(
    event: Event, taken: int, expected: int, refused: list[int] | None = None
) -> ApplicationError:
    free = max(0, event.capacity - taken)
    details: dict[str, Any] = {"capacity": event.capacity, "seats_taken": taken, "seats_free": free}
    if refused is not None:
        details["over_capacity"] = refused
    return ApplicationError(
        "event_full",
        f"The event has {free} free seats for {expected} registrants; nothing was imported.",
        details=details,
    )


def _insert_imported(
    event_id: int,
    rows: list[ImportedRegistrant],
    company_ids: dict[str, int],
    *,
    at: datetime.datetime,
    actor_id: int | None,
    marker: str,
) -> int:
    """Insert registrants and their creation rows with bulk_create (any database)."""
    created = Registrant.objects.bulk_create(
        [
            Registrant(
                event_id=event_id,
                name=r.name,
                email=r.email,
                guest_type=r.guest_type,
                company_id=company_ids.get(normalize_company_name(r.company)),
                status=lifecycle.INITIAL_STATUS,
            )
            for r in rows
        ]
    )
    StatusChange.objects.bulk_create(
        [
            StatusChange(
                registrant_id=registrant.pk,
                event_id=event_id,
                from_status="",
                to_status=lifecycle.INITIAL_STATUS,
                at=at,
                actor_id=actor_id,
                source=Source.IMPORT,
                note=marker,
            )
            for registrant in created
        ]
    )
    return len(created)


def _insert_imported_sql(
    event_id: int,
    rows: list[ImportedRegistrant],
    company_ids: dict[str, int],
    *,
    at: datetime.datetime,
    actor_id: int | None,
    marker: str,
) -> int:
    """The same as _insert_imported with COPY (PostgreSQL).

    The ids are taken from the table's own sequence first, so both tables
    can be fed by COPY (which returns nothing): the registrants stream to
    the server while this process is still producing the next rows, and
    the server inserts them, with their indexes, at the same time. Against
    one INSERT ... FROM unnest(arrays) ... RETURNING per 2,000 rows this
    overlaps our CPU with the server's instead of adding them up
    (docs/benchmarks.md, "Import and export"). The binary format costs
    this process a fifth of the text format's CPU per row (psycopg packs
    the values in C instead of escaping text), and the server a little less.
    """
    status = lifecycle.INITIAL_STATUS
    source = Source.IMPORT.value
    with connection.cursor() as cursor:
        # The sequence is looked up once: pg_get_serial_sequence per row
        # costs ten times the nextval itself.
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Registrant._meta.db_table])
        sequence = cursor.fetchone()[0]
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, len(rows)]
        )
        ids = [row[0] for row in cursor.fetchall()]
        # One company lookup per spelling, not per row.
        company_of = {
            name: company_ids.get(normalize_company_name(name))
            for name in {r.company for r in rows}
        }
        with _copy(cursor, Registrant, _REGISTRANT_COLUMNS) as copy:
            codes = new_check_in_codes(len(rows))
            for pk, r, code in zip(ids, rows, codes, strict=True):
                copy.write_row(
                    (
                        pk,
                        event_id,
                        company_of[r.company],
                        r.name,
                        r.email,
                        r.guest_type,
                        status,
                        code,
                        at,
                        at,
                    )
                )
        with _copy(cursor, StatusChange, _HISTORY_COLUMNS) as copy:
            for pk in ids:
                copy.write_row((pk, event_id, "", status, at, actor_id, source, marker))
    return len(ids)


_REGISTRANT_COLUMNS = (
    "id",
    "event_id",
    "company_id",
    "name",
    "email",
    "guest_type",
    "status",
    "check_in_code",
    "created_at",
    "updated_at",
)
_HISTORY_COLUMNS = (
    "registrant_id",
    "event_id",
    "from_status",
    "to_status",
    "at",
    "actor_id",
    "source",
    "note",
)


@contextlib.contextmanager
def _copy(cursor: Any, model: type[models.Model], columns: tuple[str, ...]) -> Iterator[Any]:
    """A binary COPY ... FROM STDIN into `columns` of the model's table, its
    value types read from the model's fields ("varchar(200)" -> varchar)."""
    fields = {f.column: f for f in model._meta.concrete_fields}
    types = [str(fields[c].db_type(connection)).split("(")[0] for c in columns]
    table = model._meta.db_table
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        yield copy


def _chunks(rows: Iterable[ImportedRegistrant], size: int):
    chunk: list[ImportedRegistrant] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _company_ids_for(names: list[str], known: dict[str, int]) -> None:
    """Fill `known` (normalised name -> id) for these names, creating the
    companies that do not exist yet. The first spelling seen is kept; a
    concurrent creator of the same name wins on the unique index and we
    read its row (ON CONFLICT DO NOTHING, then select)."""
    wanted: dict[str, str] = {}
    for name in dict.fromkeys(names):  # each spelling once, in order
        display = clean_company_name(name)
        key = normalize_company_name(display)
        if key and key not in known:
            wanted.setdefault(key, display)
    if not wanted:
        return
    known.update(
        Company.objects.filter(normalized_name__in=list(wanted)).values_list(
            "normalized_name", "id"
        )
    )
    missing = [key for key in wanted if key not in known]
    if missing:
        Company.objects.bulk_create(
            [Company(name=wanted[key], normalized_name=key) for key in missing],
            ignore_conflicts=True,
        )
        known.update(
            Company.objects.filter(normalized_name__in=missing).values_list("normalized_name", "id")
        )
