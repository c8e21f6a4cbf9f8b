"""The invariants of docs/invariants.md, checked after every scenario.

I1 status == newest history row's to_status; I2 the history chain is
unbroken, and every history row carries its registrant's event (the column
repeats it, with no foreign key of its own: migration 0007); I3 seats taken <= capacity; I5 the stats equal a fresh SQL count.
On SQLite, the search index holds every registrant's folded name and email
(registrants/search_index.py), whoever wrote them.
Each check reads the database directly, not through the code under test.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import connection
from django.db.models import F

from registrants import search_index
from registrants.lifecycle import SEAT_HOLDING, Status
from registrants.models import Event, Registrant, StatusChange
from registrants.normalization import fold_text


def history_violations(event_ids=None) -> list[str]:
    """I1 and I2 for every registrant (of the given events)."""
    registrants = Registrant.objects.all()
    changes = StatusChange.objects.order_by("registrant_id", "id")
    if event_ids is not None:
        registrants = registrants.filter(event_id__in=event_ids)
        changes = changes.filter(event_id__in=event_ids)
    chains: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for registrant_id, frm, to in changes.values_list("registrant_id", "from_status", "to_status"):
        chains[registrant_id].append((frm, to))
    problems = []
    for registrant_id, status in registrants.values_list("id", "status"):
        chain = chains.get(registrant_id, [])
        if not chain:
            problems.append(f"registrant {registrant_id}: no history")
            continue
        if chain[0][0] != "":
            problems.append(f"registrant {registrant_id}: first row is not a creation")
        for (_, prev_to), (frm, _) in zip(chain, chain[1:], strict=False):
            if frm != prev_to:
                problems.append(f"registrant {registrant_id}: chain broken ({prev_to} -> {frm})")
        if chain[-1][1] != status:
            problems.append(
                f"registrant {registrant_id}: status {status} but newest history {chain[-1][1]}"
            )
    astray = StatusChange.objects.exclude(event_id=F("registrant__event_id"))
    if event_ids is not None:
        astray = astray.filter(registrant__event_id__in=event_ids)
    for change_id, registrant_id in astray.values_list("id", "registrant_id"):
        problems.append(f"history row {change_id}: not its registrant {registrant_id}'s event")
    return problems


def capacity_violations() -> list[str]:
    """I3 for every event."""
    problems = []
    for event in Event.objects.all():
        taken = Registrant.objects.filter(event=event, status__in=SEAT_HOLDING).count()
        if taken > event.capacity:
            problems.append(f"event {event.pk}: {taken} seats taken of {event.capacity}")
    return problems


def fresh_status_counts(event_id: int) -> dict[str, int]:
    """Counts per status straight from SQL, for comparing with the stats (I5)."""
    counts = {s.value: 0 for s in Status}
    for status in Registrant.objects.filter(event_id=event_id).values_list("status", flat=True):
        counts[status] += 1
    return counts


def search_index_violations() -> list[str]:
    """On SQLite, the rows of the search index differ from the registrants'
    folded names and emails (none elsewhere)."""
    if connection.vendor != "sqlite" or not search_index.AVAILABLE:
        return []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rowid, name, email FROM {search_index.TABLE}")  # noqa: S608
        indexed = {row[0]: tuple(row[1:]) for row in cursor.fetchall()}
    expected = {
        pk: (fold_text(name), fold_text(email))
        for pk, name, email in Registrant.objects.values_list("id", "name", "email")
    }
    return [
        f"registrant {pk}: indexed {indexed.get(pk)} but folded {expected.get(pk)}"
        for pk in sorted(set(indexed) | set(expected))
        if indexed.get(pk) != expected.get(pk)
    ]


def assert_invariants(event_ids=None) -> None:
    problems = history_violations(event_ids) + capacity_violations() + search_index_violations()
    assert not problems, "invariants violated:\n" + "\n".join(problems[:20])
