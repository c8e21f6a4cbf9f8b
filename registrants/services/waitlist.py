"""The waitlist's writes: offers made when seats free up, accepted (the
promotion), expired, and the periodic sweep. Rules in registrants/waitlist.py."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone

from .. import waitlist
from ..erasure import refuse_if_erased
from ..errors import ApplicationError
from ..lifecycle import Status
from ..locks import lock_registrant
from ..models import Event, Registrant, Source, WaitlistOffer
from ..signals import registrants_erasing
from .announce import _announce_status_change
from .common import Actor, _lock_event
from .transitions import StatusResult, _apply


def _refill_events(event_ids: Iterable[int]) -> list[WaitlistOffer]:
    """Offer the free seats of these events, in the caller's transaction.
    Events are locked in id order, after the caller's registrant locks (the
    order every service takes them in)."""
    offered: list[WaitlistOffer] = []
    for event in Event.objects.select_for_update().filter(pk__in=set(event_ids)).order_by("pk"):
        offered += waitlist.refill(event).offered
    return offered


def seats_freed(*, event_ids: Iterable[int]) -> list[WaitlistOffer]:
    """Called by the services that free a seat (a cancellation, a raised
    capacity) inside their transaction: offer it to the next in line."""
    return _refill_events(event_ids)


def waitlist_touch(*, event_id: int) -> waitlist.Refill:
    """Expire the event's lapsed offers and offer its free seats now (the
    waitlist page and the API call it, so the embedded default needs no
    beat). Raises not_found."""
    with transaction.atomic():
        return waitlist.refill(_lock_event(event_id))


def waitlist_process_due() -> int:
    """The periodic sweep (registrants.process_waitlists): every event with a
    lapsed offer, or with people waiting and no offer out, is refilled.
    Returns how many offers were made."""
    now = timezone.now()
    lapsed = WaitlistOffer.objects.filter(state=WaitlistOffer.State.OPEN, expires_at__lte=now)
    event_ids = set(lapsed.values_list("event_id", flat=True))
    event_ids |= set(
        Registrant.objects.filter(status=Status.WAITLISTED, erased_at__isnull=True)
        .filter(~Q(waitlist_offers__isnull=False))
        .values_list("event_id", flat=True)
        .distinct()
    )
    made = 0
    for event_id in sorted(event_ids):
        try:
            made += len(waitlist_touch(event_id=event_id).offered)
        except ApplicationError:
            continue  # the event was deleted meanwhile
    return made


def offer_accept(
    *, registrant_id: int, actor: Actor = None, source: str = Source.SYSTEM
) -> StatusResult:
    """Take the seat an open offer holds: waitlisted -> registered (a
    promotion), with a history row saying so. The attendee's ticket page and
    POST /registrants/{id}/offers/accept/ call it.

    Raises not_found, erased (409), no_offer (409: none open, or it expired;
    an expired one is closed and its seat offered to the next).
    """
    with transaction.atomic():
        registrant = lock_registrant(registrant_id)
        refuse_if_erased(registrant)
        # Registrant, then event, then offer rows: the order every writer
        # takes them in (refill updates offers holding the event's lock).
        event = _lock_event(registrant.event_id)
        offer = (
            WaitlistOffer.objects.select_for_update()
            .filter(registrant_id=registrant.pk, state=WaitlistOffer.State.OPEN)
            .first()
        )
        if offer is None or registrant.status != Status.WAITLISTED:
            raise _no_offer(registrant, "has no open waitlist offer")
        if offer.expires_at <= timezone.now():
            # Committed before the refusal: the seat goes to the next now.
            waitlist.refill(event)
        else:
            offer.state, offer.closed_at = WaitlistOffer.State.ACCEPTED, timezone.now()
            offer.save(update_fields=["state", "closed_at"])
            # No seat check: the open offer was holding this very seat.
            note = f"Accepted the waitlist offer made at {offer.created_at:%Y-%m-%d %H:%M} UTC."
            change = _apply(registrant, Status.REGISTERED, actor=actor, source=source, note=note)
            _announce_status_change(registrant, [change])
            return StatusResult(registrant, changed=True, changes=[change])
    raise _no_offer(registrant, "let the waitlist offer expire; the seat went to the next")


def _no_offer(registrant: Registrant, why: str) -> ApplicationError:
    return ApplicationError(
        "no_offer",
        f"{registrant.name} {why}.",
        details={"current_status": registrant.status},
    )


@receiver(registrants_erasing, dispatch_uid="waitlist_withdraw_erased")
def _withdraw_offers_of_erased(sender, registrant_ids, **kwargs) -> None:
    """An erased person can no longer be reached: their open offer is
    withdrawn and its seat offered to the next, in the erasure's transaction."""
    ids = list(registrant_ids)
    event_ids = set(
        WaitlistOffer.objects.filter(
            registrant_id__in=ids, state=WaitlistOffer.State.OPEN
        ).values_list("event_id", flat=True)
    )
    # Events locked before their offer rows are written, as refill does.
    for event in Event.objects.select_for_update().filter(pk__in=event_ids).order_by("pk"):
        WaitlistOffer.objects.filter(
            event_id=event.pk, registrant_id__in=ids, state=WaitlistOffer.State.OPEN
        ).update(state=WaitlistOffer.State.WITHDRAWN, closed_at=timezone.now())
        waitlist.refill(event)
