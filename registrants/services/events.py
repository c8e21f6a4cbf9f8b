"""Events: create, edit, delete."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction

from .. import event_options, waitlist
from ..errors import ApplicationError
from ..models import Event, Registrant
from ..validation import require_plain_text
from .common import _lock_event, seats_held


def event_create(
    *,
    name: str,
    date: datetime.date,
    capacity: int,
    time_zone: str | None = None,
    door_modes: list[str] | None = None,
    closed: bool = False,
    retention_days: int | None = None,
    waitlist_offer_hours: int | None = None,
) -> Event:
    """Create an event. Raises validation_error for a capacity below 1, a
    name with control or text-direction characters, an unknown time zone or
    door mode."""
    require_plain_text(name=name)
    if capacity < 1:
        raise ApplicationError(
            "validation_error",
            "Capacity must be at least 1.",
            fields={"capacity": ["Ensure this value is greater than or equal to 1."]},
        )
    options = {
        "time_zone": event_options.validated_time_zone(
            time_zone or event_options.default_time_zone()
        ),
        "door_modes": event_options.validated_door_modes(
            event_options.default_door_modes() if door_modes is None else door_modes
        ),
        "retention_days": event_options.validated_retention_days(retention_days),
    }
    if waitlist_offer_hours is not None:
        options["waitlist_offer_hours"] = event_options.validated_offer_hours(waitlist_offer_hours)
    with transaction.atomic():
        return Event.objects.create(
            name=name, date=date, capacity=capacity, closed=closed, **options
        )


def event_update(
    *,
    event_id: int,
    name: str | None = None,
    date: datetime.date | None = None,
    capacity: int | None = None,
    time_zone: str | None = None,
    door_modes: list[str] | None = None,
    closed: bool | None = None,
    retention_days: Any = event_options.UNCHANGED,
    waitlist_offer_hours: int | None = None,
) -> Event:
    """Edit an event (None leaves a field as it is). Lowering capacity below
    the seats taken raises capacity_below_seats_taken (409); an unknown time
    zone or door mode raises validation_error."""
    require_plain_text(name=name)
    options = _changed_options(
        time_zone=time_zone,
        door_modes=door_modes,
        closed=closed,
        retention_days=retention_days,
        waitlist_offer_hours=waitlist_offer_hours,
    )
    with transaction.atomic():
        event = _lock_event(event_id)
        fields: list[str] = list(options)
        for field, value in options.items():
            setattr(event, field, value)
        if name is not None:
            event.name = name
            fields.append("name")
        if date is not None:
            event.date = date
            fields.append("date")
        if capacity is not None and capacity != event.capacity:
            if capacity < 1:
                raise ApplicationError(
                    "validation_error",
                    "Capacity must be at least 1.",
                    fields={"capacity": ["Ensure this value is greater than or equal to 1."]},
                )
            taken = seats_held(event_id=event.pk)
            if capacity < taken:
                raise ApplicationError(
                    "capacity_below_seats_taken",
                    f"Capacity cannot go below the {taken} seats already taken.",
                    details={"seats_taken": taken, "capacity": event.capacity},
                )
            event.capacity = capacity
            fields.append("capacity")
        if fields:
            event.save(update_fields=[*fields, "updated_at"])
        if "capacity" in fields:
            waitlist.refill(event)  # raised: the new seats go to the waitlist first
        return event


def _changed_options(
    *,
    time_zone: str | None,
    door_modes: list[str] | None,
    closed: bool | None,
    retention_days: Any,
    waitlist_offer_hours: int | None,
) -> dict[str, Any]:
    """The event options an update gives (None: unchanged), validated."""
    options: dict[str, Any] = {}
    if time_zone is not None:
        options["time_zone"] = event_options.validated_time_zone(time_zone)
    if door_modes is not None:
        options["door_modes"] = event_options.validated_door_modes(door_modes)
    if closed is not None:
        options["closed"] = closed
    if waitlist_offer_hours is not None:
        options["waitlist_offer_hours"] = event_options.validated_offer_hours(waitlist_offer_hours)
    if retention_days is not event_options.UNCHANGED:
        options["retention_days"] = event_options.validated_retention_days(retention_days)
    return options


def event_delete(*, event_id: int) -> None:
    """Delete an event that has no registrants; else event_has_registrants (409)."""
    with transaction.atomic():
        event = _lock_event(event_id)
        count = Registrant.objects.filter(event_id=event.pk).count()
        if count:
            raise ApplicationError(
                "event_has_registrants",
                f"The event has {count} registrants; it cannot be deleted.",
                details={"registrants": count},
            )
        event.delete()
