"""Every read the API and the pages share: lists and the dashboard numbers.

The live numbers come from the event's counters (registrants/counters), kept
by the database in the writers' transactions; the series of a past moment
(_arrivals, _occupancy, for history_as_of) are aggregates over the history.
"""

from __future__ import annotations

import datetime
import functools
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .counters import reads as counter_reads
from .lifecycle import SEAT_HOLDING, Status
from .models import Company, Event, GuestType, Registrant, StatusChange, StatusCount

BUCKET_SECONDS = 15 * 60
TOP_COMPANIES = 10


def event_list() -> QuerySet[Event]:
    """Events with their seats taken (from the counters), newest date first."""
    taken = (
        StatusCount.objects.filter(event_id=OuterRef("pk"), status__in=SEAT_HOLDING)
        .values("event_id")
        .annotate(n=Sum("n"))
        .values("n")
    )
    return Event.objects.annotate(seats_taken=Coalesce(Subquery(taken), 0)).order_by("-date", "id")


def company_list() -> QuerySet[Company]:
    return Company.objects.annotate(registrant_count=Count("registrants")).order_by("name", "id")


def registrant_list() -> QuerySet[Registrant]:
    """Registrants with what the list shows, in one query."""
    return Registrant.objects.select_related("company").annotate(
        company_name=Coalesce(F("company__name"), Value(""))
    )


def registrant_matches() -> QuerySet[Registrant]:
    """Registrants for a search's few matches (the desk): their companies
    read once the matches are chosen (a prefetch), not joined. PostgreSQL
    joins before it sorts the matches, and for a full name's one match it
    hashed all 20,000 companies of the event (8 ms at a million)."""
    return Registrant.objects.prefetch_related("company")


def registrant_history(*, registrant_id: int) -> QuerySet[StatusChange]:
    """A registrant's history, oldest first."""
    return (
        StatusChange.objects.filter(registrant_id=registrant_id)
        .select_related("actor")
        .order_by("id")
    )


FEED_FIELDS = (
    "id", "at", "from_status", "to_status", "source", "note", "registrant_id",
    "registrant__name", "registrant__company__name",
    "actor_id", "actor__first_name", "actor__last_name", "actor__username",
)  # fmt: skip


def event_feed(*, event_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """The latest status changes of an event, newest first, as rows of
    FEED_FIELDS (what the feed shows: building four model objects per row
    cost more than the query, measured at a million)."""
    sql = _feed_statement(connection.alias, connection.vendor, limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, (event_id,))
        return _feed_rows(cursor.fetchall())


def _feed_rows(raw: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    rows = [dict(zip(FEED_FIELDS, row, strict=True)) for row in raw]
    for row in rows:
        at = row["at"]
        if isinstance(at, str):
            at = parse_datetime(at)
        if at is not None and at.tzinfo is None:  # SQLite: the naive UTC time Django stored
            at = at.replace(tzinfo=datetime.UTC)
        row["at"] = at
    return rows


# Compiled with this id, then run with the event's (_feed_statement()).
_PLACEHOLDER = -1


@functools.cache
def _feed_statement(alias: str, vendor: str, limit: int) -> str:
    """event_feed's SQL, compiled once per database: compiling the query
    (three joins, thirteen columns) cost as much as running it. Its one
    parameter is the event's id. `vendor` only keys the cache."""
    query = (
        StatusChange.objects.filter(event_id=_PLACEHOLDER)
        .order_by("-id")
        .values(*FEED_FIELDS)[:limit]
    )
    sql, params = query.query.get_compiler(using=alias).as_sql()
    if params != (_PLACEHOLDER,):
        raise RuntimeError("the feed's statement must have the event's id as its one parameter")
    return sql


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
    """event_stats_of an event in hand (Event.DoesNotExist if it has gone)."""
    stats = event_stats_of(event_id=event.pk, top_companies=top_companies)
    if stats is None:
        raise Event.DoesNotExist(f"event {event.pk} no longer exists")
    return stats


def event_stats_of(*, event_id: int, top_companies: int = TOP_COMPANIES) -> dict[str, Any] | None:
    """The dashboard numbers of one event (docs/api.md, GET /events/{id}/stats/),
    from the event's counters (registrants/counters): their cost does not
    grow with the event. None when there is no such event: the event's
    capacity comes in the same statement, so a caller needs no other read."""
    numbers = counter_reads.event_numbers(event_id, top_companies=top_companies)
    return _stats(event_id, numbers)


class DashboardReads(NamedTuple):
    """event_stats_of (None: no such event), event_feed and the event's time zone."""

    stats: dict[str, Any] | None
    feed: list[dict[str, Any]]
    time_zone: str | None


def event_stats_and_feed(*, event_id: int, limit: int = 50) -> DashboardReads:
    """event_stats_of, event_feed and the event's time zone, as the
    dashboard reads them together.

    On PostgreSQL both statements go in one message: one wait for the
    database instead of two, which is what a read costs while scanners keep
    the cores busy. Client-side binding (Django's default) allows several
    statements per execute; with server-side binding they go one by one."""
    numbers_sql, numbers_params = counter_reads.numbers_statement(
        event_id, top_companies=TOP_COMPANIES
    )
    feed_sql = _feed_statement(connection.alias, connection.vendor, limit)
    one_message = connection.vendor == "postgresql" and not connection.settings_dict.get(
        "OPTIONS", {}
    ).get("server_side_binding")
    with connection.cursor() as cursor:
        if one_message:
            cursor.execute(f"{numbers_sql};\n{feed_sql}", [*numbers_params, event_id])
            numbers_rows = cursor.fetchall()
            cursor.nextset()
        else:
            cursor.execute(numbers_sql, numbers_params)
            numbers_rows = cursor.fetchall()
            cursor.execute(feed_sql, (event_id,))
        feed_rows = cursor.fetchall()
    numbers = counter_reads.numbers_from_rows(numbers_rows, top_companies=TOP_COMPANIES)
    return DashboardReads(
        stats=_stats(event_id, numbers),
        feed=_feed_rows(feed_rows),
        time_zone=numbers["time_zone"] if numbers is not None else None,
    )


def _stats(event_id: int, numbers: dict[str, Any] | None) -> dict[str, Any] | None:
    if numbers is None:
        return None
    status_counts = numbers["by_status"]
    total = sum(status_counts.values())
    attendees = sum(status_counts[s] for s in SEAT_HOLDING)
    guest_counts = numbers["by_guest_type"]
    capacity = numbers["capacity"]
    return {
        "event": event_id,
        "generated_at": timezone.now(),
        "capacity": capacity,
        "total": total,
        "attendees": attendees,
        "on_site": status_counts[Status.ENTERED],
        "seats_left": max(0, capacity - attendees),
        "by_status": status_counts,
        "by_guest_type": {g: guest_counts.get(g, 0) for g in GuestType.values},
        "companies": numbers["companies"],
        "arrivals": numbers["arrivals"],
        "occupancy": numbers["occupancy"],
    }


def event_counts(*, event_id: int) -> dict[str, Any]:
    """The live tiles' numbers: counts per status, and the newest history
    row id they include (live clients skip deltas at or below it), read
    together from the counters."""
    status_counts, last_change = counter_reads.counts_and_last_change(event_id)
    capacity = Event.objects.filter(pk=event_id).values_list("capacity", flat=True).first()
    return {
        "event": event_id,
        "capacity": capacity,
        "by_status": status_counts,
        "last_change_id": last_change,
    }


def company_names_per_row(queryset: QuerySet[Registrant]) -> QuerySet[Registrant]:
    """registrant_list() for a search's page: each row's company name read
    by its own lookup (`company_name`, which the page and the API show),
    instead of the companies joined. PostgreSQL joins the matches before it
    sorts them, and for a few hundred it hashed all 20,000 companies (8 ms
    at a million; the desk's registrant_matches for the same reason). The
    planner drops the join left unused; the company rows are not read."""
    if "company_name" not in queryset.query.annotations:
        return queryset
    name = Company.objects.filter(pk=OuterRef("company_id")).order_by().values("name")[:1]
    return queryset.select_related(None).annotate(company_name=Coalesce(Subquery(name), Value("")))
