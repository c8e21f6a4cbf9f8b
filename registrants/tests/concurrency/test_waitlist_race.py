"""Waitlist offers under concurrency: seats freed at the same moment go to
different people, never one seat to two, and capacity stays exact.

The guard: every service that frees a seat offers it with the event row
locked (registrants/waitlist.py refill), after its own registrant lock. The
twin removes the lock and widens the count-to-offer window: it offers more
seats than are free.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from registrants import services, waitlist
from registrants.models import Event, Registrant, WaitlistOffer
from registrants.tests.concurrency.racing import (
    check_scenario,
    crashes,
    disable_row_locks,
    race,
    sleep_after,
    tally,
)

pytestmark = pytest.mark.django_db(transaction=True)

SEATS = 20
WAITING = 30


def _full_event() -> tuple[Event, list[int], list[int]]:
    event = services.event_create(name="Sold out", date=datetime.date(2026, 12, 1), capacity=SEATS)

    def register(n: int, *, wait: bool) -> int:
        return services.registrant_register(
            event_id=event.pk, name=f"P{n}", email=f"p{n}@example.com", join_waitlist=wait
        ).pk

    seated = [register(n, wait=False) for n in range(SEATS)]
    waiting = [register(SEATS + n, wait=True) for n in range(WAITING)]
    return event, seated, waiting


def _cancel(registrant_id: int):
    return lambda: services.registrant_change_status(
        registrant_id=registrant_id, to_status="cancelled"
    )


def _offered(event: Event) -> list[int]:
    return list(
        WaitlistOffer.objects.filter(event=event, state="open")
        .order_by("registrant_id")
        .values_list("registrant_id", flat=True)
    )


def _held(event: Event) -> int:
    return waitlist.seat_holders(event.pk) + waitlist.open_offers(event.pk)


def test_seats_freed_at_once_go_to_as_many_different_people_in_order():
    """Both databases: the event lock on PostgreSQL, IMMEDIATE transactions
    on SQLite."""
    event, seated, waiting = _full_event()
    freed = seated[:10]
    outcomes = race([_cancel(pk) for pk in freed])
    assert crashes(outcomes) == [] and tally(outcomes) == {"ok": 10}
    offered = _offered(event)
    assert offered == waiting[:10]  # ten different people, first in line first
    assert _held(event) == SEATS
    check_scenario(event)


@pytest.mark.postgres
def test_offers_accepted_while_newcomers_and_cancellations_race_keep_capacity_exact():
    """Half the offers are accepted, more seats are freed and newcomers try
    to register, all at once: every accepted offer gets its seat, no
    newcomer takes a seat the queue holds, and the seats held never exceed
    the capacity."""
    event, seated, waiting = _full_event()
    for pk in seated[:6]:
        services.registrant_change_status(registrant_id=pk, to_status="cancelled")
    assert _offered(event) == waiting[:6]
    work = [lambda pk=pk: services.offer_accept(registrant_id=pk) for pk in waiting[:6]]
    work += [_cancel(pk) for pk in seated[6:12]]
    work += [
        lambda n=n: services.registrant_register(
            event_id=event.pk, name=f"New {n}", email=f"new{n}@example.com"
        )
        for n in range(10)
    ]
    outcomes = race(work)
    assert crashes(outcomes) == []
    assert all(o.ok for o in outcomes[:12])  # every acceptance and cancellation
    assert tally(outcomes[12:]) == {"event_full": 10}
    promoted = Registrant.objects.filter(pk__in=waiting[:6], status="registered").count()
    assert promoted == 6
    assert _offered(event) == waiting[6:12]
    assert _held(event) == SEATS
    check_scenario(event)


@pytest.mark.race_twin
@pytest.mark.postgres
def test_twin_without_the_event_lock_offers_one_seat_to_many(monkeypatch):
    """The twin: no row locks, and a pause after counting the held seats.
    Ten racers each count one free seat (their own) and offer it to the
    same person: those that collide fail on the one-open-offer constraint
    (server errors, their cancellations lost)."""
    _, seated, _ = _full_event()
    disable_row_locks(monkeypatch)
    monkeypatch.setattr(waitlist, "open_offers", sleep_after(waitlist.open_offers, 0.3))
    outcomes = race([_cancel(pk) for pk in seated[:10]])
    assert len(crashes(outcomes)) > 1
    assert all("waitlistoffer_one_open_per_registrant" in c for c in crashes(outcomes))


@pytest.mark.postgres
def test_acceptances_racing_the_sweep_over_lapsed_offers_never_deadlock():
    """Every lock is taken registrant, event, then offer rows: acceptances
    of lapsed and live offers, sweeps and cancellations all at once finish
    without a deadlock, and the seats stay exact."""
    event, seated, waiting = _full_event()
    for pk in seated[:8]:
        services.registrant_change_status(registrant_id=pk, to_status="cancelled")
    lapsed = waiting[:4]
    WaitlistOffer.objects.filter(registrant_id__in=lapsed).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    work = [lambda pk=pk: services.offer_accept(registrant_id=pk) for pk in waiting[:8]]
    work += [services.waitlist_process_due for _ in range(4)]
    work += [_cancel(pk) for pk in seated[8:12]]
    outcomes = race(work)
    assert crashes(outcomes) == []
    assert tally(outcomes[:4]) == {"no_offer": 4}  # lapsed: the seat went on
    assert all(o.ok for o in outcomes[4:])
    assert Registrant.objects.filter(pk__in=waiting[4:8], status="registered").count() == 4
    assert _held(event) == SEATS
    check_scenario(event)
