"""The waitlist: joining when full, offers of freed seats, acceptance
(promotion), expiry, hand promotion, scans refused. Both databases."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from registrants import services
from registrants.errors import ApplicationError
from registrants.lifecycle import Status
from registrants.models import Registrant, Source, StatusChange, WaitlistOffer
from registrants.signals import waitlist_offer_made
from registrants.tests.factories import EventFactory, make_registrant
from registrants.tests.invariants import capacity_violations, history_violations
from registrants.waitlist import position

pytestmark = pytest.mark.django_db(transaction=True)


def _join(event, n: int) -> Registrant:
    return services.registrant_register(
        event_id=event.pk, name=f"Waiter {n}", email=f"w{n}@example.com", join_waitlist=True
    )


def _full_event(capacity: int = 2, waiting: int = 3):
    event = EventFactory(capacity=capacity)
    seated = [make_registrant(event) for _ in range(capacity)]
    waiters = [_join(event, n) for n in range(waiting)]
    return event, seated, waiters


def _open_offers(event) -> list[int]:
    return list(
        WaitlistOffer.objects.filter(event=event, state="open")
        .order_by("registrant_id")
        .values_list("registrant_id", flat=True)
    )


def _expire(registrant: Registrant) -> None:
    past = timezone.now() - datetime.timedelta(minutes=1)
    WaitlistOffer.objects.filter(registrant=registrant, state="open").update(expires_at=past)


def test_registration_when_full_is_refused_unless_it_asks_to_wait():
    event, _, _ = _full_event(capacity=1, waiting=0)
    with pytest.raises(ApplicationError) as refused:
        services.registrant_register(event_id=event.pk, name="Late", email="late@example.com")
    assert refused.value.code == "event_full"
    waiter = _join(event, 1)
    assert waiter.status == Status.WAITLISTED
    first = StatusChange.objects.get(registrant=waiter)
    assert (first.from_status, first.to_status) == ("", Status.WAITLISTED)


def test_a_registration_with_a_free_seat_is_registered_even_if_it_offers_to_wait():
    event = EventFactory(capacity=5)
    assert _join(event, 1).status == Status.REGISTERED


def test_waitlist_positions_follow_the_order_of_joining():
    _, _, waiters = _full_event(waiting=3)
    assert [position(w) for w in waiters] == [1, 2, 3]


def test_a_cancellation_offers_the_seat_to_the_first_in_line_and_holds_it():
    event, seated, waiters = _full_event()
    sent = []

    def listen(sender, **kwargs):
        sent.append(kwargs)

    waitlist_offer_made.connect(listen)
    try:
        services.registrant_change_status(registrant_id=seated[0].pk, to_status="cancelled")
    finally:
        waitlist_offer_made.disconnect(listen)
    assert _open_offers(event) == [waiters[0].pk]
    offer = WaitlistOffer.objects.get(registrant=waiters[0])
    assert [s["registrant_id"] for s in sent] == [waiters[0].pk]
    assert sent[0]["offer_id"] == offer.pk and sent[0]["expires_at"] == offer.expires_at
    assert offer.expires_at - offer.created_at == datetime.timedelta(hours=48)
    # The open offer holds the freed seat: a newcomer may not take it.
    with pytest.raises(ApplicationError) as refused:
        services.registrant_register(event_id=event.pk, name="Newcomer", email="n@example.com")
    assert refused.value.code == "event_full"


def test_accepting_the_offer_promotes_with_a_system_history_row():
    event, seated, waiters = _full_event()
    services.registrant_change_status(registrant_id=seated[0].pk, to_status="cancelled")
    result = services.offer_accept(registrant_id=waiters[0].pk)
    assert result.changed
    waiters[0].refresh_from_db()
    assert waiters[0].status == Status.REGISTERED
    last = StatusChange.objects.filter(registrant=waiters[0]).latest()
    assert (last.from_status, last.to_status, last.source) == (
        Status.WAITLISTED,
        Status.REGISTERED,
        Source.SYSTEM,
    )
    assert "waitlist offer" in last.note
    assert WaitlistOffer.objects.get(registrant=waiters[0]).state == "accepted"
    assert _open_offers(event) == []
    assert services.seats_held(event_id=event.pk) == event.capacity
    assert capacity_violations() == [] and history_violations() == []


def test_accepting_without_an_offer_is_refused():
    _, _, waiters = _full_event()
    with pytest.raises(ApplicationError) as refused:
        services.offer_accept(registrant_id=waiters[0].pk)
    assert refused.value.code == "no_offer"


def test_an_expired_offer_is_refused_and_the_seat_goes_to_the_next():
    event, seated, waiters = _full_event()
    services.registrant_change_status(registrant_id=seated[0].pk, to_status="cancelled")
    _expire(waiters[0])
    with pytest.raises(ApplicationError) as refused:
        services.offer_accept(registrant_id=waiters[0].pk)
    assert refused.value.code == "no_offer"
    assert WaitlistOffer.objects.get(registrant=waiters[0]).state == "expired"
    assert _open_offers(event) == [waiters[1].pk]
    waiters[0].refresh_from_db()
    assert waiters[0].status == Status.WAITLISTED  # still waiting, no history row
    assert StatusChange.objects.filter(registrant=waiters[0]).count() == 1


def test_the_periodic_sweep_expires_offers_and_offers_again():
    event, seated, waiters = _full_event()
    services.registrant_change_status(registrant_id=seated[0].pk, to_status="cancelled")
    _expire(waiters[0])
    assert services.waitlist_process_due() == 1
    assert _open_offers(event) == [waiters[1].pk]
    assert services.waitlist_process_due() == 0  # nothing more to do


def test_raising_the_capacity_offers_the_new_seats_in_order():
    event, _, waiters = _full_event(waiting=3)
    services.event_update(event_id=event.pk, capacity=event.capacity + 2)
    assert _open_offers(event) == [waiters[0].pk, waiters[1].pk]


def test_capacity_cannot_go_below_the_seats_offers_hold():
    event, seated, _ = _full_event()
    services.registrant_change_status(registrant_id=seated[0].pk, to_status="cancelled")
    with pytest.raises(ApplicationError) as refused:
        services.event_update(event_id=event.pk, capacity=1)
    assert refused.value.code == "capacity_below_seats_taken"


def test_cancelling_a_waitlisted_person_withdraws_their_offer_and_offers_the_next():
    event, seated, waiters = _full_event()
    services.registrant_change_status(registrant_id=seated[0].pk, to_status="cancelled")
    services.registrant_change_status(registrant_id=waiters[0].pk, to_status="cancelled")
    assert WaitlistOffer.objects.get(registrant=waiters[0]).state == "withdrawn"
    assert _open_offers(event) == [waiters[1].pk]


def test_erasing_a_person_with_an_offer_withdraws_it_and_offers_the_next():
    event, seated, waiters = _full_event()
    services.registrant_change_status(registrant_id=seated[0].pk, to_status="cancelled")
    services.registrant_delete(registrant_id=waiters[0].pk)
    assert WaitlistOffer.objects.get(registrant=waiters[0]).state == "withdrawn"
    assert _open_offers(event) == [waiters[1].pk]


def test_promotion_by_hand_needs_a_free_seat():
    _, _, waiters = _full_event()
    with pytest.raises(ApplicationError) as refused:
        services.registrant_change_status(registrant_id=waiters[1].pk, to_status="registered")
    assert refused.value.code == "event_full"


def test_promotion_by_hand_of_the_person_holding_the_offer_uses_their_seat():
    event, seated, waiters = _full_event()
    services.registrant_change_status(registrant_id=seated[0].pk, to_status="cancelled")
    services.registrant_change_status(
        registrant_id=waiters[0].pk, to_status="registered", source=Source.DASHBOARD
    )
    assert WaitlistOffer.objects.get(registrant=waiters[0]).state == "withdrawn"
    assert _open_offers(event) == []
    assert services.seats_held(event_id=event.pk) == event.capacity


def test_bulk_cancellation_offers_every_freed_seat_to_a_different_person():
    event, seated, waiters = _full_event(capacity=3, waiting=4)
    results = services.registrants_bulk_change_status(
        registrant_ids=[r.pk for r in seated[:2]], to_status="cancelled"
    )
    assert all(r.ok and r.changed for r in results)
    assert _open_offers(event) == [waiters[0].pk, waiters[1].pk]


@pytest.mark.parametrize("mode", ["desk", "entry", "exit"])
def test_a_waitlisted_badge_is_refused_at_the_desk_and_doors(mode):
    event, _, waiters = _full_event(waiting=1)
    with pytest.raises(ApplicationError) as refused:
        services.registrant_scan(code=waiters[0].check_in_code, mode=mode, event_id=event.pk)
    assert refused.value.code == "waitlisted"
    assert StatusChange.objects.filter(registrant=waiters[0]).count() == 1


def test_stats_count_the_waitlisted_apart_from_attendees():
    from registrants.selectors import event_stats

    event, _, _ = _full_event(capacity=2, waiting=3)
    stats = event_stats(event=event)
    assert stats["by_status"]["waitlisted"] == 3
    assert stats["attendees"] == 2
    assert stats["seats_left"] == 0


def test_joining_the_waitlist_passes_a_lapsed_offer_to_the_next():
    event, seated, waiters = _full_event(waiting=2)
    services.registrant_change_status(registrant_id=seated[0].pk, to_status="cancelled")
    _expire(waiters[0])
    late = _join(event, 9)
    assert late.status == Status.WAITLISTED  # the lapsed offer still held the seat
    assert WaitlistOffer.objects.get(registrant=waiters[0]).state == "expired"
    assert _open_offers(event) == [waiters[1].pk]
