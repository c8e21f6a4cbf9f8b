"""Shapes the selectors' data for the pages: tiles, charts, the feed.

Pure functions over what registrants.selectors returns; no queries of their
own beyond those selectors. Names and labels come from registrants.presenters.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.urls import reverse
from django.utils import timezone

from registrants import presenters, selectors
from registrants.lifecycle import SEAT_HOLDING, Status
from registrants.models import GuestType, Source

from .event_time import zone_named

# The feed reads "new → Registered" for a registrant's first row.
FEED_NO_STATUS = presenters.NO_STATUS_LABEL.lower()
BUCKET = datetime.timedelta(seconds=selectors.BUCKET_SECONDS)
# Gaps in a time series are filled with explicit buckets only up to this
# many (a week of 15-minute buckets); beyond that the chart would be a
# smear of zeros, so the series is drawn with its gaps.
MAX_FILLED_BUCKETS = 7 * 24 * 4

# One colour per status, the same on chips, tiles and charts. Each is dark
# enough for white text and for a 3:1 contrast against the white page.
STATUS_COLOURS = {
    Status.WAITLISTED: "#7c3aed",
    Status.REGISTERED: "#475569",
    Status.CHECKED_IN: "#1d4ed8",
    Status.ENTERED: "#15803d",
    Status.EXITED: "#b45309",
    Status.CANCELLED: "#b91c1c",
}
CHART_COLOURS = [
    "#1d4ed8",
    "#15803d",
    "#b45309",
    "#7e22ce",
    "#0e7490",
    "#be185d",
    "#4d7c0f",
    "#c2410c",
    "#4338ca",
    "#0f766e",
    "#64748b",
    "#94a3b8",
]


def percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _filled(
    series: list[dict[str, Any]], key: str, carry: bool
) -> list[tuple[datetime.datetime, int]]:
    """Buckets from first to last, gaps filled (0, or the previous value)."""
    points = [(row["start"], int(row[key])) for row in series]
    if len(points) < 2:
        return points
    span = int((points[-1][0] - points[0][0]) / BUCKET)
    if span > MAX_FILLED_BUCKETS:
        return points
    by_start = dict(points)
    filled, last = [], 0
    for i in range(span + 1):
        start = points[0][0] + i * BUCKET
        value = by_start.get(start, last if carry else 0)
        filled.append((start, value))
        last = value
    return filled


def _series(
    points: list[tuple[datetime.datetime, int]],
    local: dict[datetime.datetime, datetime.datetime],
    zone: datetime.tzinfo,
) -> dict[str, list]:
    """A chart's labels and values in `zone`. `local` maps bucket starts to
    local times, shared by the charts of one answer: arrivals and occupancy
    have mostly the same few hundred buckets, each converted once."""
    times = []
    for start, _ in points:
        at = local.get(start)
        if at is None:
            at = local[start] = start.astimezone(zone)
        times.append(at)
    with_date = len({at.date() for at in times}) > 1
    return {
        "labels": [presenters.format_local(at, with_date=with_date) for at in times],
        "values": [value for _, value in points],
    }


def registrant_url_maker() -> Callable[[int], str]:
    """registrant id -> the URL of their page, reversed once: reversing per
    row was a tenth of the dashboard's numbers (50 feed rows)."""
    marker = 987654321
    head, tail = reverse("dashboard:registrant", args=[marker]).split(str(marker))
    return lambda pk: f"{head}{int(pk)}{tail}"


_SOURCE_LABELS = {source.value: source.label for source in Source}


def feed_item(
    change: dict[str, Any], time: str | None = None, url: Callable[[int], str] | None = None
) -> dict[str, Any]:
    """One row of the dashboard's feed from a row of selectors.event_feed;
    `time` is its local_time with the day and `url` a registrant_url_maker,
    when the caller does those for the whole feed."""
    at = change["at"]
    if change["actor_id"] is None:
        actor = presenters.SYSTEM_ACTOR
    else:
        actor = presenters.person_name(
            change["actor__first_name"], change["actor__last_name"], change["actor__username"]
        )
    return {
        "id": change["id"],
        "at": at.isoformat(),
        "time": time if time is not None else presenters.local_time(at, with_date=True),
        "registrant": change["registrant__name"],
        "company": change["registrant__company__name"] or "",
        "url": (url or registrant_url_maker())(change["registrant_id"]),
        "from_status": change["from_status"],
        "from_label": (
            presenters.status_label(change["from_status"])
            if change["from_status"]
            else FEED_NO_STATUS
        ),
        "to_status": change["to_status"],
        "to_label": presenters.status_label(change["to_status"]),
        "actor": actor,
        "source": _SOURCE_LABELS[change["source"]],
        "note": change["note"],
    }


def tiles_from_counts(by_status: dict[str, int], capacity: int) -> list[dict[str, Any]]:
    """The dashboard's tiles from the counts per status and the capacity.

    The live page computes the same tiles in the browser from the pushed
    counts (event_dashboard.js, computeTiles); the browser tests compare the
    two over many inputs, so change both together.
    """
    total = sum(by_status[s] for s in Status)
    attendees = sum(by_status[s] for s in SEAT_HOLDING)
    on_site = by_status[Status.ENTERED]
    seats_left = max(0, capacity - attendees)
    tiles = [
        {
            "key": status.value,
            "label": status.label,
            "value": by_status[status],
            "percent": percent(by_status[status], total),
            "of": "of all",
            "colour": STATUS_COLOURS[status],
        }
        for status in Status
    ]
    tiles += [
        {
            "key": "attendees",
            "label": "Attendees",
            "value": attendees,
            "percent": percent(attendees, capacity),
            "of": "of capacity",
            "colour": "",
        },
        {
            "key": "on_site",
            "label": "On site now",
            "value": on_site,
            "percent": percent(on_site, attendees),
            "of": "of attendees",
            "colour": "",
        },
        {
            "key": "seats_left",
            "label": "Seats left",
            "value": seats_left,
            "percent": percent(seats_left, capacity),
            "of": "of capacity",
            "colour": "",
        },
    ]
    return tiles


def dashboard_numbers(event_id: int) -> dict[str, Any] | None:
    """Everything the event dashboard shows, JSON-ready: the page renders it
    first and numbers.json serves it for the periodic refresh. None when
    there is no such event (its row is read with the numbers)."""
    reads = selectors.event_stats_and_feed(event_id=event_id)
    stats, changes = reads.stats, reads.feed
    if stats is None:
        return None
    total, capacity = stats["total"], stats["capacity"]
    by_status = stats["by_status"]
    tiles = tiles_from_counts(by_status, capacity)
    companies = stats["companies"]
    company_labels = [c["name"] for c in companies["top"]]
    company_values = [c["count"] for c in companies["top"]]
    if companies["others"]:
        company_labels.append(f"Others ({companies['others_companies']} companies)")
        company_values.append(companies["others"])
    if companies["no_company"]:
        company_labels.append("No company")
        company_values.append(companies["no_company"])
    # The event's zone, read with the numbers: whatever the request's
    # (numbers.json is not zoned by the middleware; decision 0275).
    zone = zone_named(reads.time_zone) or timezone.get_current_timezone()
    times = presenters.local_times([c["at"] for c in changes], with_date=True, zone=zone)
    url = registrant_url_maker()
    feed = [feed_item(c, time, url) for c, time in zip(changes, times, strict=True)]
    local: dict[datetime.datetime, datetime.datetime] = {}
    return {
        "event": event_id,
        "generated_at": stats["generated_at"].isoformat(),
        "generated_time": timezone.localtime(stats["generated_at"], zone).strftime("%H:%M:%S"),
        "capacity": capacity,
        "total": total,
        "tiles": tiles,
        "charts": {
            "status": {
                "labels": [s.label for s in Status],
                "values": [by_status[s] for s in Status],
                "colours": [STATUS_COLOURS[s] for s in Status],
            },
            "companies": {"labels": company_labels, "values": company_values},
            "guest_types": {
                "labels": [g.label for g in GuestType],
                "values": [stats["by_guest_type"][g] for g in GuestType.values],
            },
            "arrivals": _series(_filled(stats["arrivals"], "count", carry=False), local, zone),
            "occupancy": _series(_filled(stats["occupancy"], "inside", carry=True), local, zone),
        },
        # Charts with nothing to plot say so instead of drawing empty axes.
        "empty": {
            "status": not any(by_status.values()),
            "guest_types": not any(stats["by_guest_type"].values()),
            "companies": not any(company_values),
            "arrivals": not any(a["count"] for a in stats["arrivals"]),
            "occupancy": not any(a["count"] for a in stats["arrivals"]),
        },
        "feed": feed,
    }
