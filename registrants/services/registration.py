"""Registrants' details: register, update, delete (erase)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from .. import audit_trail, event_options, lifecycle, waitlist
from ..erasure import refuse_if_erased, registrant_erase, registrants_erase
from ..errors import ApplicationError
from ..fields import require_valid_fields
from ..locks import lock_registrant
from ..models import Company, Registrant, Source
from ..validation import require_plain_text
from .announce import _announce_registrant, _announce_status_change
from .common import Actor, _lock_event, _require_free_seat
from .companies import company_get_or_create
from .transitions import _record


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
    join_waitlist: bool = False,
) -> Registrant:
    """Register someone for an event, with the creation history row.

    When the event is full (waitlist offers hold their seats too), a
    registration with `join_waitlist` joins the waitlist (status
    waitlisted, at the end of the line); without it, event_full.
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
        status = lifecycle.INITIAL_STATUS
        try:
            _require_free_seat(event)
        except ApplicationError as full:
            if not join_waitlist or full.code != "event_full":
                raise
            status = lifecycle.WAITLIST_STATUS
        # Inside the transaction: a refused registration leaves no new company.
        company = _resolve_company(company_name=company_name, company_id=company_id)
        registrant = Registrant.objects.create(
            event=event,
            name=name,
            email=email,
            guest_type=guest_type,
            company=company,
            status=status,
        )
        change = _record(
            registrant,
            from_status="",
            to_status=status,
            actor=actor,
            source=source,
            note=note,
        )
        if status == lifecycle.WAITLIST_STATUS:
            # Joining touches the line: lapsed offers pass on now.
            waitlist.refill(event)
        _announce_registrant(event.pk, registrant.pk, "created", registrant.status)
        _announce_status_change(registrant, [change])
    return registrant


def _validated_details(
    *, name: str | None, email: str | None, guest_type: str | None, company_name: Any = None
) -> tuple[str | None, str | None]:
    """Check the fields every path (API, admin, import) must get right."""
    fields = require_valid_fields(
        name=name,
        email=email,
        guest_type=guest_type,
        company=company_name if isinstance(company_name, str) else None,
    )
    return fields.name, fields.email


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
        registrant = lock_registrant(registrant_id)
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
