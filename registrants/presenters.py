"""What people read about registrants, formatted in one place.

Pure functions, no queries. Every path that shows the same fact (the API,
the door-scanner gateway, the desk and the other pages, the live stream)
builds it here, so the paths cannot drift apart: they once did, the gateway
saying "at 17:42" (UTC) where the API said "at 18:42" (the venue's summer
time). Times are the event's local time (its time zone, else the
deployment's TIME_ZONE). See docs/decisions/0165.
"""

from __future__ import annotations

import datetime
import zoneinfo
from functools import lru_cache
from typing import Any

from django.utils import timezone

from .lifecycle import Kind, Status, kind_of
from .models import GuestType, Registrant

# Who made a change no person made (an import, the system), on screens.
SYSTEM_ACTOR = "system"
# The label of "no status yet": the from-status of a registrant's first row.
NO_STATUS_LABEL = "New"


@lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def local_time(
    at: datetime.datetime, time_zone: str | None = None, *, with_date: bool = False
) -> str:
    """The one formatting of a local time: an aware time as hours and minutes
    ("18:42"), or with the day ("06 Dec 18:42"), in `time_zone` (an event's),
    else the time zone active for this request (the deployment's default
    unless a page activated its event's)."""
    return format_local(
        timezone.localtime(at, _zone(time_zone) if time_zone else None), with_date=with_date
    )


def local_times(
    ats: list[datetime.datetime], *, with_date: bool = False, zone: datetime.tzinfo | None = None
) -> list[str]:
    """local_time of each of `ats` in `zone`, else the time zone active for
    this request, looked up once: a chart's buckets and a feed's rows are
    hundreds of times, and the active zone is a context-local read each."""
    zone = zone or timezone.get_current_timezone()
    return [format_local(at.astimezone(zone), with_date=with_date) for at in ats]


# strftime's "%b" of each month (1-based), read once: a chart formats
# hundreds of times per answer, and strftime was most of that.
_MONTH_ABBREVIATIONS = ("", *(datetime.date(2000, m, 1).strftime("%b") for m in range(1, 13)))


def format_local(local: datetime.datetime, *, with_date: bool = False) -> str:
    """local_time's words for a time already in the zone to show: "18:42",
    or "06 Dec 18:42" with the day (strftime's "%d %b %H:%M")."""
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if not with_date:
        return clock
    return f"{local.day:02d} {_MONTH_ABBREVIATIONS[local.month]} {clock}"


def local_hhmm(at: datetime.datetime, time_zone: str | None = None) -> str:
    """local_time without the day: what scan answers say."""
    return local_time(at, time_zone)


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


# --- Names and labels -----------------------------------------------------------------


def person_name(first_name: str | None, last_name: str | None, username: str) -> str:
    """How a user is named on screens and in messages: the full name, else
    the username (a user read as columns, as the gateway reads them)."""
    full = f"{first_name or ''} {last_name or ''}".strip()
    return full or username


def actor_display_name(actor: Any) -> str:
    """person_name of a user object; SYSTEM_ACTOR for no user."""
    if actor is None:
        return SYSTEM_ACTOR
    return person_name(
        getattr(actor, "first_name", ""), getattr(actor, "last_name", ""), actor.get_username()
    )


# Looked up once: a page calls these per row, and `Status.values` builds its
# list anew on every call.
_STATUS_LABELS = {status.value: status.label for status in Status}
_GUEST_TYPE_LABELS = {guest_type.value: guest_type.label for guest_type in GuestType}


def status_label(status: str | None) -> str:
    """A status's label; NO_STATUS_LABEL for none (or an unknown value)."""
    return _STATUS_LABELS.get(status, NO_STATUS_LABEL)  # type: ignore[arg-type]


def guest_type_label(value: str) -> str:
    """A guest type's label; an unknown value as it is."""
    return _GUEST_TYPE_LABELS.get(value, value)


def move_label(from_status: str, to_status: str) -> str:
    """What the button for one registrant's move says ("Let in again")."""
    kind = kind_of(from_status, to_status)
    if kind == Kind.CORRECTION:
        if to_status == Status.CANCELLED:
            return "Correct: cancel"
        return f"Correct to {Status(to_status).label.lower()}"
    if kind == Kind.UNDO:
        return "Undo check-in"
    if kind == Kind.REINSTATE:
        return "Reinstate"
    if kind == Kind.PROMOTE:
        return "Promote from the waitlist"
    if kind == Kind.CANCEL:
        return "Cancel registration"
    if to_status == Status.CHECKED_IN:
        return "Check in"
    if to_status == Status.ENTERED:
        return "Let in again" if from_status == Status.EXITED else "Let in"
    if to_status == Status.EXITED:
        return "Mark exited"
    return f"Move to {Status(to_status).label.lower()}"


# A move of many registrants at once (the admin's actions, the list's bulk
# actions) is named by its target and kind, not by a from-status: the
# target "registered" is reached by an undo (from checked_in) and by a
# reinstate (from cancelled), two different decisions for the organiser.
_ACTION_LABELS: dict[tuple[Status, Kind], str] = {
    (Status.CHECKED_IN, Kind.FORWARD): "Check in",
    (Status.ENTERED, Kind.FORWARD): "Mark entered",
    (Status.EXITED, Kind.FORWARD): "Mark exited",
    (Status.REGISTERED, Kind.UNDO): "Undo check-in → registered",
    (Status.CANCELLED, Kind.CANCEL): "Cancel",
    (Status.REGISTERED, Kind.REINSTATE): "Reinstate",
    (Status.REGISTERED, Kind.PROMOTE): "Promote from the waitlist",
}


def action_label(to_status: Status, kind: Kind) -> str:
    """What an action that moves many registrants to `to_status` says."""
    return _ACTION_LABELS.get((to_status, kind), f"{kind.value.capitalize()} → {to_status.label}")


# --- Who a message is about -----------------------------------------------------------


def summary(
    *, id: int, name: str, company: str | None, guest_type: str, status: str
) -> dict[str, Any]:
    """Who a scan answer, a refusal or a live message is about: enough for a
    staff screen. The one declaration of that shape."""
    return {
        "id": id,
        "name": name,
        "company": company,
        "guest_type": guest_type,
        "status": status,
    }


def registrant_summary(registrant: Registrant) -> dict[str, Any]:
    """summary() of a registrant (its company loaded, or it costs a query)."""
    return summary(
        id=registrant.pk,
        name=registrant.name,
        company=registrant.company.name if registrant.company is not None else None,
        guest_type=registrant.guest_type,
        status=registrant.status,
    )


# --- Live messages ----------------------------------------------------------------------


def live_change(
    *,
    id: int,
    from_status: str,
    to_status: str,
    at: datetime.datetime,
    actor: str | None,
    source: str,
    note: str,
) -> dict[str, Any]:
    """One history row as a live message carries it (`at` in UTC)."""
    return {
        "id": id,
        "from_status": from_status,
        "to_status": to_status,
        "at": at.isoformat(),
        "actor": actor,
        "source": source,
        "note": note,
    }


def live_status_message(
    *, event_id: int, registrant: dict[str, Any], changes: list[dict[str, Any]]
) -> dict[str, Any]:
    """The live message of one committed status change: the registrant's
    summary, its rows (live_change) and the delta they make to the counts
    per status (which status lost one, which gained one)."""
    delta: dict[str, int] = {}
    for change in changes:
        if change["from_status"]:
            delta[change["from_status"]] = delta.get(change["from_status"], 0) - 1
        delta[change["to_status"]] = delta.get(change["to_status"], 0) + 1
    return {
        "type": "live.change",
        "kind": "status",
        "event": event_id,
        "registrant": registrant,
        "changes": changes,
        "delta": {k: v for k, v in delta.items() if v},
    }


def live_registrant_message(
    *, event_id: int, action: str, registrant: dict[str, Any]
) -> dict[str, Any]:
    """The live message of a creation, edit or erasure (`action`); it moves
    no count."""
    return {
        "type": "live.change",
        "kind": "registrant",
        "action": action,
        "event": event_id,
        "registrant": registrant,
        "changes": [],
        "delta": {},
    }
