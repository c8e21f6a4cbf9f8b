"""The dashboard's "as of" card: a time slider over the event's history.

The page renders only the slider's bounds; its script (as_of.js) reads the
figures of the chosen moment from GET /api/v1/events/{id}/stats/?at=...
(registrants/history_as_of.py) and links each status to the list of who
had it then (the list's `status_at` and `at` filters).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from registrants.lifecycle import SEAT_HOLDING, Status
from registrants.models import Event, StatusChange

from .presenters import STATUS_COLOURS

# One slider step; arrow keys move by one, Page Up/Down by a tenth.
STEP_SECONDS = 5 * 60


def as_of_config(event: Event, by_status: dict[str, int]) -> dict[str, Any]:
    """The slider's bounds (the event's first history row to now, ISO 8601
    in UTC), the URLs its script reads and links to, the event's time zone
    for showing the moment, and the counts now (`by_status`, the page's
    own): the card starts at now without asking the API again."""
    # The oldest row by id, through the (event, -id) index: one probe, where
    # the smallest `at` would read every row of the event.
    first = (
        StatusChange.objects.filter(event_id=event.pk)
        .order_by("id")
        .values_list("at", flat=True)
        .first()
    )
    now = timezone.now()
    return {
        "stats_url": reverse("event-stats", args=[event.pk]),
        "list_url": reverse("dashboard:registrants", args=[event.pk]),
        "time_zone": event.time_zone,
        "start": (first or now).isoformat(),
        "end": now.isoformat(),
        "step_seconds": STEP_SECONDS,
        "statuses": [[s.value, s.label, STATUS_COLOURS[s]] for s in Status],
        "now": {
            "by_status": by_status,
            "attendees": sum(by_status[s] for s in SEAT_HOLDING),
        },
    }


def by_status_of(numbers: dict[str, Any]) -> dict[str, int]:
    """The counts per status of presenters.dashboard_numbers (its status
    chart lists them in lifecycle order)."""
    return dict(zip(Status.values, numbers["charts"]["status"]["values"], strict=True))
