"""An event's settings beyond name, date and capacity: its time zone, the
scan modes its desk offers ("door modes"), whether it is closed and how
long its registrants are kept (retention_days).

Closed means "no new registrations" (API, pages, import); scans, status
changes and edits still work, because a closed event is usually one whose
doors are about to open (docs/decisions/0101-event-time-zone-door-modes-closed.md).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable

from django.conf import settings

from .errors import ApplicationError
from .lifecycle import ScanMode

ALL_DOOR_MODES: tuple[str, ...] = tuple(ScanMode.values)


def default_time_zone() -> str:
    """A new event's time zone: the deployment's (settings.TIME_ZONE)."""
    return settings.TIME_ZONE


def default_door_modes() -> list[str]:
    """A new event offers every scan mode at its desk."""
    return list(ALL_DOOR_MODES)


def validated_time_zone(name: str) -> str:
    """`name` if it is an IANA time zone this system knows; else validation_error."""
    name = (name or "").strip()
    try:
        if not name or name != name.strip("/") or ".." in name:
            raise ValueError(name)
        zoneinfo.ZoneInfo(name)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise ApplicationError(
            "validation_error",
            f'"{name[:64]}" is not a time zone; use an IANA name such as "Europe/Paris".',
            fields={"time_zone": ["Use an IANA time zone name, such as Europe/Paris."]},
        ) from None
    return name


def validated_door_modes(modes: Iterable[str]) -> list[str]:
    """The modes in table order, at least one, each a ScanMode; else validation_error."""
    given = list(modes)
    unknown = sorted({str(m) for m in given if m not in ALL_DOOR_MODES})
    if unknown or not given:
        message = (
            f"Unknown scan modes: {', '.join(unknown)}; use {', '.join(ALL_DOOR_MODES)}."
            if unknown
            else "Choose at least one scan mode for the desk."
        )
        raise ApplicationError("validation_error", message, fields={"door_modes": [message]})
    return [m for m in ALL_DOOR_MODES if m in given]


def door_mode_choices(event) -> list[tuple[str, str]]:
    """(value, label) of the scan modes the event's desk offers, table order."""
    offered = set(event.door_modes or ALL_DOOR_MODES)
    return [(value, label) for value, label in ScanMode.choices if value in offered]


def refuse_if_closed(event) -> None:
    """Raise event_closed (409) for a closed event: it takes no new registrations."""
    if event.closed:
        raise ApplicationError(
            "event_closed",
            f"{event.name} is closed: it takes no new registrations.",
            details={"event": event.pk},
        )


# event_update's "leave the retention as it is" (None there means: keep the
# registrants for ever).
UNCHANGED: object = object()
MAX_RETENTION_DAYS = 36500


def validated_retention_days(days: int | None) -> int | None:
    """`days` (None: keep for ever) or validation_error outside 0..36500."""
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_RETENTION_DAYS:
        raise ApplicationError(
            "validation_error",
            "Retention must be a number of days from 0 to 36500, or empty.",
            fields={"retention_days": [f"Must be from 0 to {MAX_RETENTION_DAYS}, or null."]},
        )
    return days


MAX_OFFER_HOURS = 24 * 60  # sixty days: longer than any waitlist is useful


def validated_offer_hours(hours: int) -> int:
    """Hours a waitlist offer stays open (1..1440), or validation_error."""
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= MAX_OFFER_HOURS:
        raise ApplicationError(
            "validation_error",
            f"A waitlist offer must stay open from 1 to {MAX_OFFER_HOURS} hours.",
            fields={"waitlist_offer_hours": [f"Must be from 1 to {MAX_OFFER_HOURS}."]},
        )
    return hours
