"""What several services share: the actor, the seat count and the row locks."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from .. import lifecycle, waitlist
from ..errors import ApplicationError
from ..lifecycle import Kind
from ..models import Event, Registrant

Actor = AbstractBaseUser | None

ALL_KINDS: frozenset[Kind] = frozenset(Kind)


def _actor_or_none(actor: Actor) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def seats_taken(*, event_id: int) -> int:
    """Registrants of the event that hold a seat (everyone not cancelled)."""
    return Registrant.objects.filter(event_id=event_id, status__in=lifecycle.SEAT_HOLDING).count()


def seats_held(*, event_id: int) -> int:
    """The seats no newcomer may take: the seat-holding registrants plus the
    waitlist's open offers (registrants/waitlist.py). Every capacity check
    counts this, and nothing else."""
    return seats_taken(event_id=event_id) + waitlist.open_offers(event_id)


def _lock_event(event_id: int) -> Event:
    try:
        return Event.objects.select_for_update().get(pk=event_id)
    except Event.DoesNotExist:
        raise ApplicationError("not_found", "No such event.") from None


def _require_free_seat(event: Event) -> None:
    taken = seats_held(event_id=event.pk)
    if taken >= event.capacity:
        raise _event_full(event, taken)


def _event_full(event: Event, taken: int) -> ApplicationError:
    return ApplicationError(
        "event_full",
        f"The event is full: {taken} of {event.capacity} seats are taken.",
        details={"capacity": event.capacity, "seats_taken": taken},
    )
