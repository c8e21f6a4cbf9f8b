"""C5-C8 and C10: concurrent scans, scans racing a cancel, nonce retries.

The guard: registrant_scan and registrant_change_status lock the registrant
row (SELECT ... FOR UPDATE) before reading its status, so that concurrent
moves of one registrant serialise; on SQLite IMMEDIATE transactions do it.
Each twin makes the lock a plain read and sleeps after planning the scan,
and asserts that history is written twice.
"""

from __future__ import annotations

import datetime
import os
import random
import time
import uuid
from collections import Counter

import pytest
from django.contrib.auth import get_user_model

from registrants import lifecycle, scanning, services
from registrants.api import idempotency
from registrants.errors import ApplicationError, http_status_for
from registrants.lifecycle import ScanMode, Status
from registrants.models import Event, Registrant, ScanReceipt, Source, StatusChange
from registrants.tests.concurrency.racing import (
    check_scenario,
    crashes,
    disable_row_locks,
    race,
    sleep_after,
    tally,
)
from registrants.tests.invariants import history_violations

pytestmark = pytest.mark.django_db(transaction=True)

SCANNERS = 50


def _event(capacity: int = 1000) -> Event:
    return services.event_create(
        name="Door night", date=datetime.date(2026, 12, 1), capacity=capacity
    )


def _registrant(event: Event, n: int = 0, status: str = Status.REGISTERED) -> Registrant:
    registrant = services.registrant_register(
        event_id=event.pk, name=f"Guest {n}", email=f"guest{n}@example.com"
    )
    if status == Status.CHECKED_IN:
        services.registrant_change_status(registrant_id=registrant.pk, to_status=status)
    if status == Status.CANCELLED:
        services.registrant_change_status(registrant_id=registrant.pk, to_status=status)
    registrant.refresh_from_db()
    return registrant


def _rows(registrant: Registrant) -> int:
    return StatusChange.objects.filter(registrant=registrant).count()


def _scan(registrant: Registrant, mode: str, actor=None):
    code, event_id = registrant.check_in_code, registrant.event_id
    return lambda: services.registrant_scan(code=code, mode=mode, event_id=event_id, actor=actor)


def _without_registrant_lock(monkeypatch, window: float = 0.2) -> None:
    """The twins' sabotage: no row lock, and a pause after the status is read."""
    disable_row_locks(monkeypatch)
    monkeypatch.setattr(lifecycle, "plan_scan", sleep_after(lifecycle.plan_scan, window))


# --- C5: one code, fifty desk scans ------------------------------------------------


def _fifty_scans(mode: str, sabotage=None):
    """Fifty simultaneous `mode` scans of one registered code (C5, C6):
    (event, registrant, outcomes, history rows written)."""
    event = _event()
    registrant = _registrant(event)
    before = _rows(registrant)
    if sabotage:
        sabotage()
    outcomes = race([_scan(registrant, mode)] * SCANNERS)
    return event, registrant, outcomes, _rows(registrant) - before


def test_fifty_simultaneous_desk_scans_write_one_history_row():
    """C5: 1 history row, 1 changed, 49 unchanged."""
    event, registrant, outcomes, new_rows = _fifty_scans(ScanMode.DESK)
    assert crashes(outcomes) == []
    assert tally(outcomes) == {"ok": SCANNERS}
    changed = [o.value for o in outcomes if o.value.changed]
    repeats = [o.value for o in outcomes if not o.value.changed]
    assert (len(changed), len(repeats)) == (1, SCANNERS - 1)
    assert new_rows == 1
    # Every repeat names the one change that checked them in.
    (change,) = changed[0].changes
    assert {r.previous.pk for r in repeats} == {change.pk}
    registrant.refresh_from_db()
    assert registrant.status == Status.CHECKED_IN
    check_scenario(event)


@pytest.mark.race_twin
@pytest.mark.postgres
def test_twin_desk_scans_without_row_lock_check_in_twice(monkeypatch):
    """C5's twin: without the row lock several scans each write a check-in."""
    event, registrant, outcomes, new_rows = _fifty_scans(
        ScanMode.DESK, lambda: _without_registrant_lock(monkeypatch)
    )
    assert crashes(outcomes) == []
    assert sum(o.value.changed for o in outcomes) > 1
    assert new_rows > 1
    assert history_violations()


# --- C6: one registered code, fifty entry scans -------------------------------------


def test_fifty_simultaneous_entry_scans_of_a_registered_code_write_exactly_two_rows():
    """C6: check-in and entry, once: exactly 2 new history rows."""
    event, registrant, outcomes, new_rows = _fifty_scans(ScanMode.ENTRY)
    assert crashes(outcomes) == []
    assert tally(outcomes) == {"ok": SCANNERS}
    changed = [o.value for o in outcomes if o.value.changed]
    assert len(changed) == 1
    assert [c.to_status for c in changed[0].changes] == [Status.CHECKED_IN, Status.ENTERED]
    assert new_rows == 2
    registrant.refresh_from_db()
    assert registrant.status == Status.ENTERED
    check_scenario(event)


@pytest.mark.race_twin
@pytest.mark.postgres
def test_twin_entry_scans_without_row_lock_write_more_than_two_rows(monkeypatch):
    """C6's twin: without the row lock the door writes the two steps repeatedly."""
    event, registrant, outcomes, new_rows = _fifty_scans(
        ScanMode.ENTRY, lambda: _without_registrant_lock(monkeypatch)
    )
    assert crashes(outcomes) == []
    assert new_rows > 2
    assert history_violations()


# --- C7: random entry and exit scans over many codes -------------------------------

C7_SECONDS = float(os.environ.get("C7_SECONDS", "10"))
C7_CODES = 40
C7_THREADS = 8


def _scan_soak(event_id: int, codes: list[str], *, seconds: float, threads: int) -> list:
    """Each thread scans random codes at the entry or exit door until time is up.

    Returns, per thread, (outcome counts, history rows written, crashes).
    """
    deadline = time.monotonic() + seconds

    def soak(seed: int):
        rng = random.Random(seed)  # noqa: S311 (reproducible, not security)
        counts, written, failures = Counter(), 0, []
        while time.monotonic() < deadline:
            code, mode = rng.choice(codes), rng.choice([ScanMode.ENTRY, ScanMode.EXIT])
            try:
                result = services.registrant_scan(code=code, mode=mode, event_id=event_id)
            except ApplicationError as exc:
                counts[exc.code] += 1
            except Exception as exc:  # noqa: BLE001 (a server error, counted)
                failures.append(f"{type(exc).__name__}: {exc}")
            else:
                counts["changed" if result.changed else "unchanged"] += 1
                written += len(result.changes)
        return counts, written, failures

    outcomes = race([(lambda seed=seed: soak(seed)) for seed in range(threads)])
    assert crashes(outcomes) == []
    return [o.value for o in outcomes]


def _soak_population(event: Event, n: int) -> list[str]:
    """Half registered (entry checks them in too), half checked in."""
    return [
        _registrant(event, i, Status.CHECKED_IN if i % 2 else Status.REGISTERED).check_in_code
        for i in range(n)
    ]


def test_random_entry_and_exit_scans_keep_every_history_chain_intact():
    """C7, shortened: 10 s (C7_SECONDS) of random entry/exit scans by 8 threads
    over 40 codes; I1 and I2 hold for every registrant, 0 server errors, and
    the history grew by exactly the changes the scans reported.

    The 60 s soak (C7 at full length) belongs in bench/, not in the test run.
    """
    event = _event()
    codes = _soak_population(event, C7_CODES)
    rows_before = StatusChange.objects.count()
    results = _scan_soak(event.pk, codes, seconds=C7_SECONDS, threads=C7_THREADS)
    counts = sum((c for c, _, _ in results), Counter())
    assert [f for _, _, fs in results for f in fs] == []
    assert set(counts) <= {"changed", "unchanged", "invalid_transition"}
    assert counts["changed"] > 0
    assert StatusChange.objects.count() - rows_before == sum(w for _, w, _ in results)
    check_scenario(event)


@pytest.mark.race_twin
@pytest.mark.postgres
def test_twin_random_scans_without_row_lock_break_history_chains(monkeypatch):
    """C7's twin: 2 s over 3 codes without the row lock breaks the chains."""
    event = _event()
    codes = _soak_population(event, 3)
    _without_registrant_lock(monkeypatch, window=0.02)
    _scan_soak(event.pk, codes, seconds=2, threads=C7_THREADS)
    assert history_violations()


# --- C8: a cancel racing a scan -----------------------------------------------------

C8_PAIRS = 20


def _cancel(pk: int, delay: float = 0.0):
    def run():
        time.sleep(delay)
        return services.registrant_change_status(registrant_id=pk, to_status=Status.CANCELLED)

    return run


def _cancels_racing_scans(sabotage=None, *, cancel_delay: float = 0.0):
    event = _event()
    registrants = [_registrant(event, n) for n in range(C8_PAIRS)]
    if sabotage:
        sabotage()
    work = []
    for r in registrants:
        work += [_scan(r, ScanMode.DESK), _cancel(r.pk, cancel_delay)]
    outcomes = race(work)
    return event, registrants, outcomes[0::2], outcomes[1::2]


def _scans_after_cancel(registrants: list[Registrant]) -> list[int]:
    """Registrants with a scan row written after their cancellation."""
    late = []
    for r in registrants:
        rows = list(StatusChange.objects.filter(registrant=r).order_by("id"))
        cancelled_at = next(i for i, c in enumerate(rows) if c.to_status == Status.CANCELLED)
        if any(c.source == Source.SCAN for c in rows[cancelled_at + 1 :]):
            late.append(r.pk)
    return late


def test_cancel_racing_a_scan_leaves_no_scan_recorded_after_the_cancel():
    """C8: every cancel succeeds; a scan either lands before it (its row comes
    first) or is refused with `cancelled`; none is recorded after it."""
    event, registrants, scans, cancels = _cancels_racing_scans()
    assert crashes(scans + cancels) == []
    assert tally(cancels) == {"ok": C8_PAIRS}
    assert set(tally(scans)) <= {"ok", "cancelled"}
    assert _scans_after_cancel(registrants) == []
    for r, scan in zip(registrants, scans, strict=True):
        scan_rows = StatusChange.objects.filter(registrant=r, source=Source.SCAN).count()
        assert scan_rows == (1 if scan.ok else 0)
        r.refresh_from_db()
        assert r.status == Status.CANCELLED
    check_scenario(event)


@pytest.mark.race_twin
@pytest.mark.postgres
def test_twin_cancel_racing_a_scan_without_row_lock_checks_in_a_cancelled_registrant(
    monkeypatch,
):
    """C8's twin: the scan reads `registered`, the cancel commits while it
    pauses, and the scan then checks in someone already cancelled."""
    event, registrants, scans, cancels = _cancels_racing_scans(
        lambda: _without_registrant_lock(monkeypatch, window=0.5), cancel_delay=0.1
    )
    assert crashes(scans + cancels) == []
    assert _scans_after_cancel(registrants)


# --- C10: the same scan retried with its nonce ----------------------------------------

RETRIES = 20


def _scanner():
    return get_user_model().objects.create_user(username=f"scanner-{uuid.uuid4().hex[:8]}")


def _perform(registrant: Registrant, actor, performed: list):
    """What the scan view does inside scan_with_nonce: (http status, body)."""
    code, event_id = registrant.check_in_code, registrant.event_id

    def perform():
        performed.append(code)
        try:
            result = services.registrant_scan(
                code=code, mode=ScanMode.DESK, event_id=event_id, actor=actor
            )
        except ApplicationError as exc:
            return http_status_for(exc.code), {"error": {"code": exc.code}}
        return 200, {
            "changed": result.changed,
            "status": result.registrant.status,
            "changes": [c.pk for c in result.changes],
            "previous": result.previous.pk if result.previous else None,
        }

    return perform


def _fingerprint(registrant: Registrant) -> str:
    return scanning.request_fingerprint(
        code=registrant.check_in_code, mode=ScanMode.DESK, event_id=registrant.event_id
    )


def _retries_with_one_nonce(sabotage=None):
    event = _event()
    registrant = _registrant(event)
    user = _scanner()
    before = _rows(registrant)
    performed: list = []
    if sabotage:
        sabotage()
    retry = lambda: idempotency.scan_with_nonce(  # noqa: E731
        user=user,
        nonce="scan-7f3a",
        fingerprint=_fingerprint(registrant),
        perform=_perform(registrant, user, performed),
    )
    outcomes = race([retry] * RETRIES)
    return event, registrant, outcomes, _rows(registrant) - before, performed


def test_same_scan_retried_concurrently_with_its_nonce_writes_once_and_replays_the_first_answer():
    """C10: one scan runs; the retries write 0 new rows and get its answer."""
    event, registrant, outcomes, new_rows, performed = _retries_with_one_nonce()
    assert crashes(outcomes) == []
    assert len(performed) == 1
    first = [o.value for o in outcomes if not o.value[2]]
    replays = [o.value for o in outcomes if o.value[2]]
    assert len(first) == 1 and len(replays) == RETRIES - 1
    status, body, _ = first[0]
    assert status == 200 and body["changed"] is True and len(body["changes"]) == 1
    assert all((s, b) == (status, body) for s, b, _ in replays)
    assert new_rows == 1
    assert ScanReceipt.objects.filter(nonce="scan-7f3a").count() == 1
    check_scenario(event)


@pytest.mark.race_twin
@pytest.mark.postgres
def test_twin_nonce_retries_without_the_claimed_receipt_run_the_scan_again(monkeypatch):
    """C10's twin: when the receipt no longer claims the nonce (each racer
    stores its own), every retry runs the scan and answers differently."""
    real_create = ScanReceipt.objects.create

    def sabotage():
        monkeypatch.setattr(
            ScanReceipt.objects,
            "create",
            lambda **kw: real_create(**{**kw, "nonce": f"{kw['nonce']}-{uuid.uuid4().hex[:8]}"}),
        )

    event, registrant, outcomes, new_rows, performed = _retries_with_one_nonce(sabotage)
    assert crashes(outcomes) == []
    assert len(performed) > 1
    assert len({repr(o.value[1]) for o in outcomes}) > 1
    assert ScanReceipt.objects.count() > 1


def _one_nonce_for_two_people(sabotage=None):
    """Twenty racers send one nonce, half with Ann's badge, half with Bob's:
    (event, ann, bob, outcomes (Ann's racers first in each pair), scans run)."""
    event = _event()
    ann, bob = _registrant(event, 1), _registrant(event, 2)
    user = _scanner()
    performed: list = []
    if sabotage:
        sabotage()

    def sender(person):
        return lambda: idempotency.scan_with_nonce(
            user=user,
            nonce="scan-shared",
            fingerprint=_fingerprint(person),
            perform=_perform(person, user, performed),
        )

    outcomes = race([sender(ann), sender(bob)] * (RETRIES // 2))
    return event, ann, bob, outcomes, performed


def test_one_nonce_sent_concurrently_for_two_people_scans_only_one_of_them():
    """A nonce names one request: racers sending the same nonce with two
    different badges run one scan; the racers of that badge get its answer,
    the others 409 nonce_reused, and the other person is not scanned."""
    event, ann, bob, outcomes, performed = _one_nonce_for_two_people()
    assert crashes(outcomes) == []
    assert len(performed) == 1
    winner = ann if performed == [ann.check_in_code] else bob
    loser = bob if winner is ann else ann
    answers = outcomes[0::2] if winner is ann else outcomes[1::2]
    refusals = outcomes[1::2] if winner is ann else outcomes[0::2]
    assert all(o.value[:2] == answers[0].value[:2] for o in answers)
    assert all(o.ok for o in answers)
    assert {o.code for o in refusals} == {"nonce_reused"}
    loser.refresh_from_db()
    winner.refresh_from_db()
    assert (winner.status, loser.status) == (Status.CHECKED_IN, Status.REGISTERED)
    assert ScanReceipt.objects.filter(nonce="scan-shared").count() == 1
    check_scenario(event)


@pytest.mark.race_twin
def test_twin_a_nonce_without_its_fingerprint_answers_one_person_for_the_other(monkeypatch):
    """The twin: when receipts ignore what was asked, the racers of the
    other badge get the first person's answer and their person is never
    scanned (the defect this guard closes)."""

    def sabotage():
        monkeypatch.setattr(scanning, "fingerprints_match", lambda stored, fingerprint: True)

    event, ann, bob, outcomes, performed = _one_nonce_for_two_people(sabotage)
    assert crashes(outcomes) == [] and len(performed) == 1
    assert all(o.ok for o in outcomes)  # nobody refused: someone got another's answer
    ann.refresh_from_db()
    bob.refresh_from_db()
    assert sorted([ann.status, bob.status]) == [Status.CHECKED_IN, Status.REGISTERED]
