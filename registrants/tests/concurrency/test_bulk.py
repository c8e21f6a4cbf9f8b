"""Bulk status changes racing scans, each other and registrations.

The guards: registrants_bulk_change_status locks each chunk's registrant
rows (SELECT ... FOR UPDATE ORDER BY id) before reading their statuses, and
the event rows before counting seats for reinstatements; scans and
registrations take the same locks. Real connections, one per thread
(racing.race), on PostgreSQL.
"""

from __future__ import annotations

import datetime
import random

import pytest

from registrants import services
from registrants.errors import ApplicationError
from registrants.lifecycle import SEAT_HOLDING, ScanMode, Status
from registrants.models import Event, Registrant, StatusChange
from registrants.tests.concurrency.racing import check_scenario, crashes, race
from registrants.tests.invariants import capacity_violations

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

PEOPLE = 120
CHUNK = 25  # several transactions per bulk action, so that scans land between them
SCANNERS = 8


def _event(capacity: int = 1000) -> Event:
    return services.event_create(
        name="Bulk night", date=datetime.date(2026, 12, 1), capacity=capacity
    )


def _register(event: Event, n: int) -> Registrant:
    return services.registrant_register(
        event_id=event.pk, name=f"Guest {n}", email=f"guest{n}@example.com"
    )


def _bulk(ids: list[int], to_status: str):
    return lambda: services.registrants_bulk_change_status(registrant_ids=ids, to_status=to_status)


def _scanner(event_id: int, codes: list[str], seed: int, modes: list[str]):
    """Scans every code once, in a shuffled order: the rows each scan wrote."""

    def run() -> int:
        rng = random.Random(seed)  # noqa: S311 (reproducible, not security)
        order = codes[:]
        rng.shuffle(order)
        written = 0
        for code in order:
            try:
                result = services.registrant_scan(
                    code=code, mode=rng.choice(modes), event_id=event_id
                )
            except ApplicationError:
                continue
            written += len(result.changes)
        return written

    return run


@pytest.mark.parametrize(
    "modes", [[ScanMode.DESK], [ScanMode.DESK, ScanMode.ENTRY]], ids=["desk", "desk+entry"]
)
def test_bulk_check_ins_racing_scans_write_each_move_once(monkeypatch, modes):
    """Two bulk check-ins of the same 120 registrants (in opposite orders,
    chunks of 25) and 8 scanners scanning them all: 0 server errors (no
    deadlock), exactly one check-in row per registrant, the history grew by
    exactly the moves reported, and I1/I2/I3/I5 hold."""
    monkeypatch.setattr(services.bulk, "BULK_CHUNK_SIZE", CHUNK)
    event = _event()
    people = [_register(event, n) for n in range(PEOPLE)]
    ids, codes = [p.pk for p in people], [p.check_in_code for p in people]
    rows_before = StatusChange.objects.count()

    outcomes = race(
        [
            _bulk(ids, Status.CHECKED_IN),
            _bulk(ids[::-1], Status.CHECKED_IN),
            *[_scanner(event.pk, codes, seed, modes) for seed in range(SCANNERS)],
        ]
    )

    assert crashes(outcomes) == []
    bulk_results = [r for o in outcomes[:2] for r in o.value]
    assert len(bulk_results) == 2 * PEOPLE
    bulk_written = sum(r.changed for r in bulk_results)
    scan_written = sum(o.value for o in outcomes[2:])
    assert StatusChange.objects.count() - rows_before == bulk_written + scan_written
    check_ins = StatusChange.objects.filter(registrant__event=event, to_status=Status.CHECKED_IN)
    assert check_ins.count() == PEOPLE
    assert check_ins.values("registrant").distinct().count() == PEOPLE
    # Whoever a bulk action did not check in was checked in (or let in) by a scan.
    refused = {r.error_code for r in bulk_results if not r.ok}
    assert refused <= {"invalid_transition"}
    if modes == [ScanMode.DESK]:
        assert bulk_written + scan_written == PEOPLE
        assert set(Registrant.objects.values_list("status", flat=True)) == {Status.CHECKED_IN}
    check_scenario(event)


def test_bulk_reinstatement_racing_registrations_never_overbooks(monkeypatch):
    """20 free seats; a bulk reinstatement of 20 cancelled (chunks of 5)
    races 20 registrations: exactly 20 get in between them, the capacity
    holds, and every refusal is event_full."""
    monkeypatch.setattr(services.bulk, "BULK_CHUNK_SIZE", 5)
    event = _event(capacity=40)
    people = [_register(event, n) for n in range(40)]
    cancelled = [p.pk for p in people[::2]]
    for pk in cancelled:
        services.registrant_change_status(registrant_id=pk, to_status=Status.CANCELLED)

    outcomes = race(
        [
            _bulk(cancelled, Status.REGISTERED),
            *[(lambda n=n: _register(event, 1000 + n)) for n in range(20)],
        ]
    )

    assert crashes(outcomes) == []
    reinstated = sum(r.changed for r in outcomes[0].value)
    refusals = {r.error_code for r in outcomes[0].value if not r.ok}
    registered = sum(o.ok for o in outcomes[1:])
    assert reinstated + registered == 20
    assert refusals <= {"event_full"}
    assert {o.code for o in outcomes[1:] if not o.ok} <= {"event_full"}
    assert Registrant.objects.filter(event=event, status__in=SEAT_HOLDING).count() == 40
    assert capacity_violations() == []
    check_scenario(event)
