"""Every read the API and the pages share: lists and the dashboard numbers.

Numbers are computed in the database (aggregates with filters), never by
looping over rows; the query count of event_stats is pinned by a test.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .lifecycle import SEAT_HOLDING, Status
from .models import Company, Event, GuestType, Registrant, StatusChange

BUCKET_SECONDS = 15 * 60
TOP_COMPANIES = 10


def event_list() -> QuerySet[Event]:
    """Events with their seats taken, newest date first."""
    return Event.objects.annotate(
        seats_taken=Count("registrants", filter=Q(registrants__status__in=SEAT_HOLDING))
    ).order_by("-date", "id")


def company_list() -> QuerySet[Company]:
    return Company.objects.annotate(registrant_count=Count("registrants")).order_by("name", "id")


def registrant_list() -> QuerySet[Registrant]:
    """Registrants with what the list shows, in one query."""
    return Registrant.objects.select_related("company").annotate(
        company_name=Coalesce(F("company__name"), Value(""))
    )


def registrant_history(*, registrant_id: int) -> QuerySet[StatusChange]:
    """A registrant's history, oldest first."""
    return (
        StatusChange.objects.filter(registrant_id=registrant_id)
        .select_related("actor")
        .order_by("id")
    )


def event_feed(*, event_id: int, limit: int = 50) -> QuerySet[StatusChange]:
    """The latest status changes of an event, newest first."""
    return (
        StatusChange.objects.filter(event_id=event_id)
        .select_related("actor", "registrant", "registrant__company")
        .order_by("-id")[:limit]
    )


def _bucket_sql() -> str:
    """SQL for the start of an 'at' value's 15-minute bucket, in epoch seconds."""
    if connection.vendor == "postgresql":
        return f"(floor(extract(epoch from {{col}}) / {BUCKET_SECONDS}) * {BUCKET_SECONDS})::bigint"
    return f"(CAST(strftime('%%s', {{col}}) AS INTEGER) / {BUCKET_SECONDS}) * {BUCKET_SECONDS}"


def _bucket_time(epoch: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.UTC)


def _until(until: datetime.datetime | None) -> tuple[str, list[Any]]:
    """The SQL condition (and its parameter) keeping history rows up to
    `until`; none for the live numbers."""
    if until is None:
        return "", []
    return " AND at <= %s", [connection.ops.adapt_datetimefield_value(until)]


def _arrivals(event_id: int, until: datetime.datetime | None = None) -> list[dict[str, Any]]:
    """First check-in of each registrant (up to `until`), per 15-minute bucket."""
    table = StatusChange._meta.db_table
    bucket = _bucket_sql().format(col="first_at")
    up_to, params = _until(until)
    sql = (
        f"SELECT {bucket} AS bucket, COUNT(*) FROM ("  # noqa: S608 (no user input in the SQL)
        f"  SELECT registrant_id, MIN(at) AS first_at FROM {table}"
        f"  WHERE event_id = %s AND to_status = %s{up_to} GROUP BY registrant_id"
        f") firsts GROUP BY bucket ORDER BY bucket"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [event_id, Status.CHECKED_IN.value, *params])
        rows = cursor.fetchall()
    return [{"start": _bucket_time(b), "count": c} for b, c in rows]


def _occupancy(event_id: int, until: datetime.datetime | None = None) -> list[dict[str, Any]]:
    """People inside at the end of each 15-minute bucket (entries minus
    exits), from the history up to `until`."""
    table = StatusChange._meta.db_table
    bucket = _bucket_sql().format(col="at")
    up_to, params = _until(until)
    sql = (
        f"SELECT {bucket} AS bucket,"  # noqa: S608 (no user input in the SQL)
        f" SUM(CASE WHEN to_status = %s THEN 1 ELSE 0 END)"
        f" - SUM(CASE WHEN from_status = %s THEN 1 ELSE 0 END)"
        f" FROM {table} WHERE event_id = %s AND (to_status = %s OR from_status = %s){up_to}"
        f" GROUP BY bucket ORDER BY bucket"
    )
    entered = Status.ENTERED.value
    with connection.cursor() as cursor:
        cursor.execute(sql, [entered, entered, event_id, entered, entered, *params])
        rows = cursor.fetchall()
    inside, series = 0, []
    for b, delta in rows:
        inside += int(delta)
        series.append({"start": _bucket_time(b), "inside": inside})
    return series


def event_stats(*, event: Event, top_companies: int = TOP_COMPANIES) -> dict[str, Any]:
    """The dashboard numbers of one event (docs/api.md, GET /events/{id}/stats/)."""
    registrants = Registrant.objects.filter(event_id=event.pk)
    status_counts = registrants.aggregate(
        total=Count("id"),
        **{s.value: Count("id", filter=Q(status=s)) for s in Status},
    )
    total = status_counts.pop("total")
    attendees = sum(status_counts[s] for s in SEAT_HOLDING)
    seats_left = max(0, event.capacity - attendees)

    attending = registrants.filter(status__in=SEAT_HOLDING)
    guest_counts = dict(
        attending.values_list("guest_type").annotate(n=Count("id")).values_list("guest_type", "n")
    )
    company_rows = list(
        attending.values("company_id", "company__name")
        .annotate(n=Count("id"))
        .order_by("-n", "company__name")
    )
    named = [r for r in company_rows if r["company_id"] is not None]
    without_company = sum(r["n"] for r in company_rows if r["company_id"] is None)
    top = named[:top_companies]
    others = sum(r["n"] for r in named[top_companies:])

    return {
        "event": event.pk,
        "generated_at": timezone.now(),
        "capacity": event.capacity,
        "total": total,
        "attendees": attendees,
        "on_site": status_counts[Status.ENTERED],
        "seats_left": seats_left,
        "by_status": status_counts,
        "by_guest_type": {g: guest_counts.get(g, 0) for g in GuestType.values},
        "companies": {
            "top": [
                {"id": r["company_id"], "name": r["company__name"], "count": r["n"]} for r in top
            ],
            "others": others,
            "others_companies": max(0, len(named) - len(top)),
            "no_company": without_company,
        },
        "arrivals": _arrivals(event.pk),
        "occupancy": _occupancy(event.pk),
    }


def event_counts(*, event_id: int) -> dict[str, Any]:
    """The live tiles' numbers in one query: counts per status, and the newest
    history row id they include (live clients skip deltas at or below it)."""
    status_counts = Registrant.objects.filter(event_id=event_id).aggregate(
        **{s.value: Count("id", filter=Q(status=s)) for s in Status}
    )
    last_change = (
        StatusChange.objects.filter(event_id=event_id)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    capacity = Event.objects.filter(pk=event_id).values_list("capacity", flat=True).first()
    return {
        "event": event_id,
        "capacity": capacity,
        "by_status": status_counts,
        "last_change_id": last_change or 0,
    }
