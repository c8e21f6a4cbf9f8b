"""Live publishing hooks: the signals a write sends, only after it commits."""

from __future__ import annotations

from django.db import transaction

from ..models import Registrant, StatusChange
from ..signals import registrant_changed, status_changed, statuses_changed


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
