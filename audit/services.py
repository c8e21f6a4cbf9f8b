"""Writing the audit log. Callers write in the transaction of the action they
audit, so the row and the action commit (or roll back) together."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from config import logs

from .models import Action, AuditEntry

SYSTEM = "system"


def _actor(actor: Any) -> tuple[Any, str]:
    """(user or None, display name) of an authenticated user, else the system."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, SYSTEM
    full = actor.get_full_name() if hasattr(actor, "get_full_name") else ""
    return actor, full or actor.get_username()


def record(
    *,
    action: Action,
    actor: Any,
    event_id: int | None = None,
    registrant_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit row; `actor` None (or anonymous) is the system.
    The request id is the one bound for the current request or task."""
    entry = _entries(action, actor, [(event_id, registrant_id)], details)[0]
    entry.save(force_insert=True)
    return entry


def record_many(
    *,
    action: Action,
    actor: Any,
    targets: Iterable[tuple[int, int]],
    details: dict[str, Any] | None = None,
) -> int:
    """One row per (event id, registrant id), in one insert (a bulk erasure)."""
    rows = _entries(action, actor, targets, details)
    AuditEntry.objects.bulk_create(rows)
    return len(rows)


def _entries(
    action: Action,
    actor: Any,
    targets: Iterable[tuple[int | None, int | None]],
    details: dict[str, Any] | None,
) -> list[AuditEntry]:
    """Unsaved rows, one per (event id, registrant id), with the actor and
    the request id bound for the current request or task."""
    user, name = _actor(actor)
    request_id = logs.request_id.get() or ""
    return [
        AuditEntry(
            action=action,
            actor=user,
            actor_name=name,
            event_id=event_id,
            registrant_id=registrant_id,
            details=details or {},
            request_id=request_id,
        )
        for event_id, registrant_id in targets
    ]


# Query parameters whose value may hold a person's name or email: the log
# says they were used, not what they were.
HIDDEN_PARAMETERS = frozenset({"search"})


def filter_summary(params: Any, *, skip: Iterable[str] = ()) -> dict[str, Any]:
    """The filter of a list request as an audit detail: each parameter with
    its values (a list when repeated), a hidden one's value as "(given)"."""
    skipped = set(skip)
    summary: dict[str, Any] = {}
    for key in sorted(params.keys()):
        if key in skipped:
            continue
        values = [v for v in params.getlist(key) if v != ""]
        if not values:
            continue
        if key in HIDDEN_PARAMETERS:
            summary[key] = "(given)"
        else:
            summary[key] = values[0] if len(values) == 1 else values
    return summary
