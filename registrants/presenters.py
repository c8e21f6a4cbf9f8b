"""What people read about a registrant's status, formatted in one place.

Every path that answers a scan (the API, the door-scanner gateway, the desk
page) builds its sentence here, so the paths cannot drift apart: they once
did, the gateway saying "at 17:42" (UTC) where the API said "at 18:42" (the
venue's summer time). Times are the event's local time (its time zone,
else the deployment's TIME_ZONE).
"""

from __future__ import annotations

import datetime
import zoneinfo
from functools import lru_cache

from django.utils import timezone


@lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def local_hhmm(at: datetime.datetime, time_zone: str | None = None) -> str:
    """An aware time as local hours and minutes ("18:42") in `time_zone`
    (an event's), else the deployment's default."""
    zone = _zone(time_zone) if time_zone else timezone.get_default_timezone()
    return f"{timezone.localtime(at, zone):%H:%M}"


def scan_message(
    *,
    name: str,
    status_label: str,
    changed: bool,
    by: str | None,
    at: datetime.datetime | None,
    time_zone: str | None = None,
) -> str:
    """The scan answer's sentence: "Ada: checked in." for a change, "Ada:
    already checked in by Sam at 18:42." for a repeat (without "by" when the
    system made the change, without "at" when no change is on record)."""
    label = status_label.lower()
    if changed:
        return f"{name}: {label}."
    if at is None:
        return f"{name}: already {label}."
    by_part = f" by {by}" if by else ""
    return f"{name}: already {label}{by_part} at {local_hhmm(at, time_zone)}."


def previous_change_detail(
    *, status_label: str, by: str | None, at: datetime.datetime, time_zone: str | None = None
) -> str:
    """The desk's second line for a repeat: "Checked in by sam at 18:42."."""
    by_part = f" by {by}" if by else ""
    return f"{status_label}{by_part} at {local_hhmm(at, time_zone)}."
