"""A subject access export: everything the product holds about one
registrant, as one JSON document (docs/api.md "Personal data").

What an erasure left (registrants/erasure.py) is all an erased registrant's
export holds: the placeholders, the status history, the audit rows.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.models import Action, AuditEntry
from audit.services import record

from .errors import ApplicationError
from .models import Registrant, ScanReceipt, StatusChange
from .signals import personal_data_requested

FORMAT_VERSION = 1


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _actor_name(user: Any) -> str:
    if user is None:
        return "system"
    return user.get_full_name() or user.get_username()


def registrant_personal_data(*, registrant_id: int, actor: Any) -> dict[str, Any]:
    """The registrant's data as a JSON-ready dict; the export is audited
    (in the same transaction as its reads). Raises not_found."""
    with transaction.atomic():
        try:
            r = Registrant.objects.select_related("event", "company").get(pk=registrant_id)
        except Registrant.DoesNotExist:
            raise ApplicationError("not_found", "No such registrant.") from None
        record(
            action=Action.PERSONAL_DATA_EXPORTED,
            actor=actor,
            event_id=r.event_id,
            registrant_id=r.pk,
        )
        export: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "exported_at": timezone.now().isoformat(),
            "registrant": _profile(r),
            "status_history": _history(r.pk),
            "scan_receipts": _receipts(r.pk),
            "audit_entries": _audit(r.pk),
        }
        # Other apps' data about the person (answers, e-mails, deliveries).
        for _receiver, sections in personal_data_requested.send(sender=Registrant, registrant=r):
            if isinstance(sections, dict):
                export.update(sections)
        return export


def _profile(r: Registrant) -> dict[str, Any]:
    return {
        "id": r.pk,
        "event": {"id": r.event_id, "name": r.event.name, "date": r.event.date.isoformat()},
        "name": r.name,
        "email": r.email,
        "company": r.company.name if r.company else None,
        "guest_type": r.guest_type,
        "status": r.status,
        "check_in_code": r.check_in_code,
        "created_at": _iso(r.created_at),
        "updated_at": _iso(r.updated_at),
        "erased_at": _iso(r.erased_at),
    }


def _history(registrant_id: int) -> list[dict[str, Any]]:
    rows = StatusChange.objects.filter(registrant_id=registrant_id).select_related("actor")
    return [
        {
            "at": _iso(c.at),
            "from_status": c.from_status or None,
            "to_status": c.to_status,
            "actor": _actor_name(c.actor),
            "source": c.source,
            "note": c.note,
            "scanned_at": _iso(c.scanned_at),
        }
        for c in rows.order_by("at", "id")
    ]


def _receipts(registrant_id: int) -> list[dict[str, Any]]:
    """The stored answers of scans about the registrant (the JSON names them:
    as the erasure, search it)."""
    about = Q(response__registrant__id=registrant_id) | Q(
        response__error__details__registrant__id=registrant_id
    )
    rows = ScanReceipt.objects.filter(about).order_by("id")
    return [
        {"at": _iso(row.created_at), "http_status": row.http_status, "response": row.response}
        for row in rows
    ]


def _audit(registrant_id: int) -> list[dict[str, Any]]:
    rows = AuditEntry.objects.filter(registrant_id=registrant_id).order_by("id")
    return [
        {"at": _iso(e.at), "actor": e.actor_name, "action": e.action, "details": e.details}
        for e in rows
    ]
