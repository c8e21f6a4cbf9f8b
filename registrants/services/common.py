"""What several services share: the actor, the seat count and the row locks."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from .. import waitlist
from ..capacity import seats_taken as seats_taken  # services import it from here
from ..errors import ApplicationError
from ..lifecycle import Kind
from ..models import Event

Actor = AbstractBaseUser | None

ALL_KINDS: frozenset[Kind] = frozenset(Kind)


def _actor_or_none(actor: Actor) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def seats_held(*, event_id: int) -> int:
    """The seats no newcomer may take: the seat-holding registrants (from
    the counters) plus the waitlist's open offers (registrants/waitlist.py).
    Every capacity check counts this, and nothing else."""
    return seats_taken(event_id=event_id) + waitlist.open_offers(event_id)


def _lock_event(event_id: int) -> Event:
    try:
        return Event.objects.select_for_update().get(pk=event_id)
    except Event.DoesNotExist:
        raise ApplicationError("not_found", "No such event.") from None


def _require_free_seat(event: Event) -> None:
    # seats_taken by its name in this module (seats_held calls it): the
    # concurrency tests' twins replace it here to widen the window between
    # counting and writing.
    taken = seats_held(event_id=event.pk)
    if taken >= event.capacity:
        raise _event_full(event, taken)


def _event_full(event: Event, taken: int) -> ApplicationError:
    return ApplicationError(
        "event_full",
        f"The event is full: {taken} of {event.capacity} seats are taken.",
        details={"capacity": event.capacity, "seats_taken": taken},
    )
