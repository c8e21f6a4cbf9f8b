"""Reading the audit log, newest first, with the filters of its page and API."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet

from .models import AuditEntry


def audit_entries(
    *,
    event_id: int | None = None,
    registrant_id: int | None = None,
    action: str | None = None,
    actor_id: int | None = None,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> QuerySet[AuditEntry]:
    """Audit rows matching every filter given (None: any)."""
    rows = AuditEntry.objects.all()
    if event_id is not None:
        rows = rows.filter(event_id=event_id)
    if registrant_id is not None:
        rows = rows.filter(registrant_id=registrant_id)
    if action:
        rows = rows.filter(action=action)
    if actor_id is not None:
        rows = rows.filter(actor_id=actor_id)
    if since is not None:
        rows = rows.filter(at__gte=since)
    if until is not None:
        rows = rows.filter(at__lt=until)
    return rows.order_by("-id")
