"""What the domain writes to the audit log (audit/): edits of a registrant's
personal details and erasures, in the transaction that makes them. Only
field names go into the log, never their values."""

from __future__ import annotations

from typing import Any

from audit.models import Action
from audit.services import record, record_many

from .models import Registrant

# The registrant's fields that are personal data: an edit of these is audited.
PERSONAL_FIELDS = ("name", "email", "company")


def record_edit(registrant: Registrant, fields: list[str], *, actor: Any) -> None:
    """Audit an edit about to be saved: `registrant` holds the new values,
    the stored row still the old ones. Only personal fields whose value
    really changes are named; an edit that changes none writes nothing."""
    personal = [f for f in PERSONAL_FIELDS if f in fields]
    if not personal:
        return
    columns = [f"{f}_id" if f == "company" else f for f in personal]
    stored = Registrant.objects.filter(pk=registrant.pk).values(*columns).get()
    changed = [
        f for f, c in zip(personal, columns, strict=True) if getattr(registrant, c) != stored[c]
    ]
    if changed:
        record(
            action=Action.REGISTRANT_EDITED,
            actor=actor,
            event_id=registrant.event_id,
            registrant_id=registrant.pk,
            details={"fields": changed},
        )


def record_erasures(registrants: list[Registrant], *, actor: Any, reason: str) -> None:
    """Audit the erasure of `registrants` (one row each); `reason` is
    "deleted" (a person asked, or an organiser deleted) or "retention"."""
    record_many(
        action=Action.REGISTRANT_ERASED,
        actor=actor,
        targets=[(r.event_id, r.pk) for r in registrants],
        details={"reason": reason},
    )
