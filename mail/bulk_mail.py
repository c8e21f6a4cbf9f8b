"""The messages of a bulk status change, for the whole batch at once.

A bulk action writes its history rows in one INSERT inside its transaction
(registrants/services/bulk.py), which holds its row locks until commit:
reading each registrant and wording per row would make that transaction as
long as the batch. Here the events' settings, the registrants (in chunks of
CHUNK) and the wordings are each read in one query, and the messages saved
in one bulk insert: the same messages as the changes made one by one.
"""

from __future__ import annotations

from registrants.models import Registrant, StatusChange

from .compose import wordings_for
from .models import MailSettings
from .rules import kind_for, wanted
from .services import message_build, messages_queue

CHUNK = 2000  # registrants per read (a bulk action's chunk is smaller)


def queue_for_changes(changes: list[StatusChange]) -> int:
    """Queue the message each change calls for where its event wants it,
    in the changes' order. Returns how many were queued."""
    called = [(change, kind) for change in changes if (kind := kind_for(change)) is not None]
    if not called:
        return 0
    events = {change.event_id for change, _ in called}
    chosen = {s.event_id: s for s in MailSettings.objects.filter(event_id__in=events)}
    due = [(c, kind) for c, kind in called if wanted(c, kind, chosen.get(c.event_id))]
    if not due:
        return 0
    registrants = _registrants([c.registrant_id for c, _ in due])
    wordings = wordings_for({(c.event_id, kind) for c, kind in due})
    messages = [
        message_build(
            registrant=registrants[c.registrant_id], kind=kind, template=wordings[c.event_id, kind]
        )
        for c, kind in due
    ]
    return len(messages_queue(messages))


def _registrants(ids: list[int]) -> dict[int, Registrant]:
    unique = list(dict.fromkeys(ids))
    found: dict[int, Registrant] = {}
    for start in range(0, len(unique), CHUNK):
        rows = Registrant.objects.select_related("event").filter(
            pk__in=unique[start : start + CHUNK]
        )
        found.update((r.pk, r) for r in rows)
    return found
