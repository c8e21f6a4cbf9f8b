"""C1-C4: capacity holds under concurrent registrations, reinstates and edits.

The guard: registrant_register, a reinstate and event_update lock the event
row (SELECT ... FOR UPDATE) before counting seats; on SQLite, IMMEDIATE
transactions serialise every writer instead. Each twin removes the guard and
sleeps after counting, and asserts that the event overbooks.
"""

from __future__ import annotations

import datetime
import threading
import time

import pytest
from django.db import connection

from registrants import services
from registrants.lifecycle import SEAT_HOLDING, Status
from registrants.models import Event, Registrant
from registrants.tests.concurrency.racing import (
    check_scenario,
    crashes,
    disable_row_locks,
    race,
    sleep_after,
    tally,
)
from registrants.tests.invariants import capacity_violations, history_violations

pytestmark = pytest.mark.django_db(transaction=True)

SEATS = 100
APPLICANTS = 200
THREADS = 50  # 200 registrations, 4 per thread; every thread starts at the barrier
# The twins run 40 threads: rounds of 40 registrations that all count before
# any of them inserts would reach 40, 80, then 120 (50 would stop at exactly 100).
TWIN_THREADS = 40


def _event(capacity: int) -> Event:
    return services.event_create(
        name="Race night", date=datetime.date(2026, 12, 1), capacity=capacity
    )


def _registration(event: Event, n: int, *, company: str | None = None):
    return lambda: services.registrant_register(
        event_id=event.pk, name=f"Racer {n}", email=f"racer{n}@example.com", company_name=company
    )


def _seats_taken(event: Event) -> int:
    return Registrant.objects.filter(event=event, status__in=SEAT_HOLDING).count()


def _two_hundred_for_one_hundred(sabotage=None) -> tuple[Event, list]:
    event = _event(SEATS)
    if sabotage:
        sabotage()
    threads = TWIN_THREADS if sabotage else THREADS
    outcomes = race([_registration(event, n) for n in range(APPLICANTS)], threads=threads)
    return event, outcomes


def _assert_exactly_one_hundred_accepted(event: Event, outcomes: list) -> None:
    assert crashes(outcomes) == []
    assert tally(outcomes) == {"ok": SEATS, "event_full": APPLICANTS - SEATS}
    assert _seats_taken(event) == SEATS
    check_scenario(event)


def _without_event_lock(monkeypatch, window: float = 0.2) -> None:
    """The twin's sabotage: no event lock, and a pause between count and insert."""
    disable_row_locks(monkeypatch)
    monkeypatch.setattr(services.common, "seats_taken", sleep_after(services.seats_taken, window))


# --- C1 / C2 ---------------------------------------------------------------------


@pytest.mark.postgres
def test_two_hundred_registrations_for_one_hundred_seats_accept_exactly_one_hundred():
    """C1 (PostgreSQL): 100 accepted, 100 event_full, 0 other errors."""
    assert connection.vendor == "postgresql"
    event, outcomes = _two_hundred_for_one_hundred()
    _assert_exactly_one_hundred_accepted(event, outcomes)


def test_two_hundred_registrations_accept_exactly_one_hundred_without_database_locked():
    """C2 (SQLite: WAL, IMMEDIATE, busy timeout; also runs on PostgreSQL).

    100 / 100 / 0, and no "database is locked" from any racer.
    """
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    event, outcomes = _two_hundred_for_one_hundred()
    assert not [c for c in crashes(outcomes) if "locked" in c]
    _assert_exactly_one_hundred_accepted(event, outcomes)


@pytest.mark.race_twin
@pytest.mark.postgres
def test_twin_registrations_without_event_lock_overbook(monkeypatch):
    """C1's twin: without the event lock the 200 racers take more than 100 seats."""
    event, outcomes = _two_hundred_for_one_hundred(lambda: _without_event_lock(monkeypatch))
    assert crashes(outcomes) == []
    assert tally(outcomes)["ok"] > SEATS
    assert _seats_taken(event) > SEATS
    assert capacity_violations()
    assert history_violations() == []


def test_twin_sqlite_without_immediate_transactions_fails_with_database_locked(monkeypatch):
    """C2's twin: what IMMEDIATE prevents, on whichever database runs it.

    SQLite: with DEFERRED transactions, a writer that read before another
    committed cannot upgrade its read lock and fails at once with "database
    is locked" (the busy timeout does not help). PostgreSQL: without the
    event lock (all SQLite's IMMEDIATE stands for), the event overbooks.
    """
    if connection.vendor == "sqlite":

        def sabotage():
            options = connection.settings_dict["OPTIONS"]
            monkeypatch.setitem(options, "transaction_mode", "DEFERRED")
            monkeypatch.setattr(
                services.common, "seats_taken", sleep_after(services.seats_taken, 0.05)
            )

        event, outcomes = _two_hundred_for_one_hundred(sabotage)
        assert [c for c in crashes(outcomes) if "database is locked" in c]
    else:
        event, outcomes = _two_hundred_for_one_hundred(lambda: _without_event_lock(monkeypatch))
        assert _seats_taken(event) > SEATS


# --- C3: reinstates racing new registrations --------------------------------------

C3_CAPACITY = 20
C3_CANCELLED = 10
C3_NEWCOMERS = 20


def _reinstates_and_registrations(sabotage=None) -> tuple[Event, list, list]:
    """A full event of 20 with 10 cancelled: 10 reinstates and 20 newcomers race
    for the 10 free seats."""
    event = _event(C3_CAPACITY)
    registrants = [_registration(event, n)() for n in range(C3_CAPACITY)]
    cancelled = registrants[:C3_CANCELLED]
    for registrant in cancelled:
        services.registrant_change_status(registrant_id=registrant.pk, to_status=Status.CANCELLED)
    reinstates = [
        (
            lambda pk=r.pk: services.registrant_change_status(
                registrant_id=pk, to_status=Status.REGISTERED
            )
        )
        for r in cancelled
    ]
    newcomers = [_registration(event, 1000 + n) for n in range(C3_NEWCOMERS)]
    if sabotage:
        sabotage()
    outcomes = race([*reinstates, *newcomers])
    return event, outcomes[: len(reinstates)], outcomes[len(reinstates) :]


def test_reinstates_racing_registrations_fill_the_last_seats_exactly():
    """C3: seats taken ends at capacity exactly; every loser gets event_full."""
    event, reinstated, registered = _reinstates_and_registrations()
    outcomes = reinstated + registered
    assert crashes(outcomes) == []
    assert tally(outcomes) == {
        "ok": C3_CANCELLED,
        "event_full": C3_CANCELLED + C3_NEWCOMERS - C3_CANCELLED,
    }
    assert _seats_taken(event) == C3_CAPACITY
    check_scenario(event)


@pytest.mark.race_twin
@pytest.mark.postgres
def test_twin_reinstates_and_registrations_without_event_lock_overbook(monkeypatch):
    """C3's twin: without the event lock the last seats are sold twice."""
    event, reinstated, registered = _reinstates_and_registrations(
        lambda: _without_event_lock(monkeypatch, window=0.5)
    )
    assert crashes(reinstated + registered) == []
    assert _seats_taken(event) > C3_CAPACITY
    assert capacity_violations()


# --- C4: capacity lowered while registrations arrive --------------------------------

C4_CAPACITY = 100
C4_ALREADY = 40
C4_NEWCOMERS = 40
C4_NEW_CAPACITIES = [90, 70, 60, 50, 45, 30]


def _overbooking_probe(event: Event, done: threading.Event) -> list[int]:
    """Seats taken minus capacity, sampled in one statement until `done`."""
    from django.db.models import Count, Q

    samples: list[int] = []
    query = Event.objects.filter(pk=event.pk).annotate(
        taken=Count("registrants", filter=Q(registrants__status__in=SEAT_HOLDING))
    )
    while not done.is_set():
        capacity, taken = query.values_list("capacity", "taken").get()
        samples.append(taken - capacity)
        time.sleep(0.002)
    return samples


def _counting(work: list, finished: list, done: threading.Event) -> list:
    """Wrap work items so that `done` is set when the last one finishes."""

    def wrap(item):
        def run():
            try:
                return item()
            finally:
                finished.append(1)
                if len(finished) == len(work):
                    done.set()

        return run

    return [wrap(item) for item in work]


def test_capacity_lowered_while_registrations_arrive_never_drops_below_seats_taken():
    """C4: never above capacity at any sampled moment; a capacity below the
    seats taken is refused with capacity_below_seats_taken."""
    event = _event(C4_CAPACITY)
    for n in range(C4_ALREADY):
        _registration(event, n)()
    updates = [
        (lambda c=c: services.event_update(event_id=event.pk, capacity=c))
        for c in C4_NEW_CAPACITIES
    ]
    newcomers = [_registration(event, 1000 + n) for n in range(C4_NEWCOMERS)]
    done, finished = threading.Event(), []
    work = _counting([*updates, *newcomers], finished, done)
    outcomes = race([*work, lambda: _overbooking_probe(event, done)])
    update_outcomes = outcomes[: len(updates)]
    registration_outcomes = outcomes[len(updates) : -1]
    samples = outcomes[-1].value

    assert crashes(outcomes) == []
    assert samples and max(samples) <= 0
    assert set(tally(update_outcomes)) <= {"ok", "capacity_below_seats_taken"}
    assert set(tally(registration_outcomes)) <= {"ok", "event_full"}
    # 30 is below the 40 registered before the race: always refused.
    assert update_outcomes[C4_NEW_CAPACITIES.index(30)].code == "capacity_below_seats_taken"
    event.refresh_from_db()
    assert _seats_taken(event) == C4_ALREADY + tally(registration_outcomes)["ok"]
    assert _seats_taken(event) <= event.capacity
    check_scenario(event)


@pytest.mark.race_twin
@pytest.mark.postgres
def test_twin_capacity_lowered_without_event_lock_ends_below_seats_taken(monkeypatch):
    """C4's twin: without the lock, the capacity edit counts 50 seats, and
    newcomers take more before it saves 50."""
    event = _event(C4_CAPACITY)
    for n in range(50):
        _registration(event, n)()
    _without_event_lock(monkeypatch, window=0.5)
    update = lambda: services.event_update(event_id=event.pk, capacity=50)  # noqa: E731
    outcomes = race([update, *[_registration(event, 1000 + n) for n in range(C4_NEWCOMERS)]])
    assert crashes(outcomes) == []
    assert outcomes[0].ok
    event.refresh_from_db()
    assert event.capacity == 50
    assert _seats_taken(event) > event.capacity
    assert capacity_violations()
