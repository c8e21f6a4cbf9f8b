"""The operators' hard purge: delete an erased registrant for good, with its
status history. Unlike the erasure it rewrites the past: every figure the
registrant counted in (totals, arrivals, occupancy, per status) changes.
Only `manage.py purge_registrant` calls it; no page or endpoint does
(docs/operations.md "Personal data", decision record 0182).
"""

from __future__ import annotations

from django.db import transaction

from audit.models import Action
from audit.services import record

from .errors import ApplicationError
from .locks import lock_registrant
from .models import Registrant
from .sql.bulk import delete_purged_history


def registrant_purge(*, registrant_id: int) -> int:
    """Delete erased registrant `registrant_id` and its history rows; return
    how many history rows went. Raises not_found, or not_erased (409) for a
    registrant that was not erased first (erase, then purge). Audited as the
    system, by id."""
    with transaction.atomic():
        registrant = lock_registrant(registrant_id)
        if registrant.erased_at is None:
            raise ApplicationError(
                "conflict",
                "Only an erased registrant can be purged: delete (erase) it first.",
            )
        # History is append-only for the application (AppendOnlyQuerySet
        # refuses delete()); the purge is the one path that removes rows.
        rows = delete_purged_history(registrant.pk)
        event_id = registrant.event_id
        Registrant.objects.filter(pk=registrant.pk).delete()
        record(
            action=Action.REGISTRANT_PURGED,
            actor=None,
            event_id=event_id,
            registrant_id=registrant_id,
            details={"history_rows": rows},
        )
    return rows
