"""The waitlist's rules: who is next, which seats are free to offer, and
the offers that hold them. Called inside a service's transaction, with the
event row locked (services/common.py _lock_event): that lock is what makes
two seats freed at once go to two different people.

A freed seat is offered to the longest-waiting registrant who has never had
an offer; the offer holds the seat until it is accepted (promotion), or it
expires (the seat goes to the next; the person stays waitlisted and an
organiser may still promote them by hand), or it is withdrawn (the person
was cancelled, erased or promoted by hand). docs/decisions/0210.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from . import capacity
from .lifecycle import Status
from .models import Event, Registrant, WaitlistOffer
from .signals import waitlist_offer_made

OPEN = WaitlistOffer.State.OPEN


def open_offers(event_id: int) -> int:
    """Open offers of the event: each holds a seat until it closes, expired
    or not, so that a newcomer never takes a seat meant for the queue."""
    return WaitlistOffer.objects.filter(event_id=event_id, state=OPEN).count()


def seat_holders(event_id: int) -> int:
    """Registrants of the event in a seat-holding status (from the counters)."""
    return capacity.seats_taken(event_id=event_id)


def waiting(event_id: int) -> QuerySet[Registrant]:
    """The event's waitlisted registrants in waitlist order (first come first)."""
    return Registrant.objects.filter(event_id=event_id, status=Status.WAITLISTED).order_by("id")


def _never_offered() -> Exists:
    # Someone whose offer expired had their turn: they are not offered again.
    return Exists(WaitlistOffer.objects.filter(registrant_id=OuterRef("pk")))


def close_offers(registrant_ids: list[int], state: str) -> int:
    """Close the open offers of these registrants (withdrawn, accepted)."""
    return WaitlistOffer.objects.filter(registrant_id__in=registrant_ids, state=OPEN).update(
        state=state, closed_at=timezone.now()
    )


@dataclass
class Refill:
    expired: list[int]  # registrant ids whose offer lapsed now
    offered: list[WaitlistOffer]


def refill(event: Event, *, seats_held: int | None = None) -> Refill:
    """Close the offers that no longer stand and offer every free seat to the
    next in line. The caller holds the event's lock (and commits).

    `seats_held` is the caller's count when it has one (services/common.py
    seats_held), else it is counted here.
    """
    now = timezone.now()
    stale = WaitlistOffer.objects.filter(event_id=event.pk, state=OPEN)
    # Offers whose person left the waitlist some other way, or was erased.
    stale.exclude(registrant__status=Status.WAITLISTED).update(
        state=WaitlistOffer.State.WITHDRAWN, closed_at=now
    )
    stale.filter(registrant__erased_at__isnull=False).update(
        state=WaitlistOffer.State.WITHDRAWN, closed_at=now
    )
    lapsed = list(stale.filter(expires_at__lte=now).values_list("pk", "registrant_id"))
    if lapsed:
        WaitlistOffer.objects.filter(pk__in=[pk for pk, _ in lapsed]).update(
            state=WaitlistOffer.State.EXPIRED, closed_at=now
        )
    if seats_held is None or lapsed:
        seats_held = seat_holders(event.pk) + open_offers(event.pk)
    free = event.capacity - seats_held
    offered: list[WaitlistOffer] = []
    if free > 0:
        nexts = list(
            waiting(event.pk)
            .filter(erased_at__isnull=True)
            .exclude(_never_offered())
            .values_list("pk", flat=True)[:free]
        )
        expires = now + datetime.timedelta(hours=event.waitlist_offer_hours)
        offered = WaitlistOffer.objects.bulk_create(
            [
                WaitlistOffer(
                    registrant_id=pk, event_id=event.pk, created_at=now, expires_at=expires
                )
                for pk in nexts
            ]
        )
        for offer in offered:
            _announce_offer(offer)
    return Refill(expired=[r for _, r in lapsed], offered=offered)


def _announce_offer(offer: WaitlistOffer) -> None:
    # Inside the offer's transaction: the e-mail's log row commits (or rolls
    # back) with the offer, and is sent only after the commit (mail/).
    waitlist_offer_made.send(
        sender=WaitlistOffer,
        registrant_id=offer.registrant_id,
        offer_id=offer.pk,
        expires_at=offer.expires_at,
    )


def position(registrant: Registrant) -> int | None:
    """A waitlisted registrant's place in the line (1 = next), else None."""
    if registrant.status != Status.WAITLISTED:
        return None
    return waiting(registrant.event_id).filter(id__lt=registrant.pk).count() + 1


def entries(event_id: int) -> list[dict[str, Any]]:
    """The event's waitlisted registrants in order, each with their newest offer."""
    people = list(waiting(event_id).select_related("company"))
    offers: dict[int, WaitlistOffer] = {}
    for offer in WaitlistOffer.objects.filter(registrant_id__in=[r.pk for r in people]):
        offers[offer.registrant_id] = offer  # ordered by id: the newest wins
    return [
        {
            "position": n,
            "id": r.pk,
            "name": r.name,
            "company": r.company.name if r.company else None,
            "guest_type": r.guest_type,
            "created_at": r.created_at,
            "offer": offers.get(r.pk),
        }
        for n, r in enumerate(people, start=1)
    ]
