"""The event as it stood at a past moment, rebuilt from the status history.

A registrant's status at T is the `to_status` of their newest history row
with `at` <= T (ties broken by id); a registrant whose first row is after T
did not exist yet. History is append-only and erasure keeps it
(erasure.py), so these figures never change once T has passed. Guest type
and company are not historised: the as-of figures group by today's values.
See docs/decisions/0175.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from . import selectors
from .lifecycle import SEAT_HOLDING, Status
from .models import Company, Event, GuestType, Registrant, StatusChange


def past_moment(at: datetime.datetime | None) -> datetime.datetime | None:
    """`at` when it lies in the past; None (the live figures) when it is
    absent or not in the past: the history cannot know more than now."""
    if at is None or at >= timezone.now():
        return None
    return at


def _status_at_sql() -> str:
    """SQL of (registrant_id, to_status) at a moment, for one event: one
    scan of the event's history rows up to the moment. Parameters: event
    id, moment."""
    table = StatusChange._meta.db_table
    if connection.vendor == "postgresql":
        return (
            f"SELECT DISTINCT ON (registrant_id) registrant_id, to_status"  # noqa: S608 (no user input in the SQL)
            f" FROM {table} WHERE event_id = %s AND at <= %s"
            f" ORDER BY registrant_id, at DESC, id DESC"
        )
    return (
        f"SELECT registrant_id, to_status FROM ("  # noqa: S608 (no user input in the SQL)
        f"  SELECT registrant_id, to_status, ROW_NUMBER() OVER ("
        f"    PARTITION BY registrant_id ORDER BY at DESC, id DESC) AS newest"
        f"  FROM {table} WHERE event_id = %s AND at <= %s"
        f") ranked WHERE newest = 1"
    )


def _groups_at(event_id: int, at: datetime.datetime) -> list[tuple[str, str, int | None, str, int]]:
    """(status at `at`, guest type, company id, company name, count) for the
    registrants that existed at `at`, in one query. Counted before the
    company names are joined (sorting 100,000 rows by name in the
    database's collation cost more than the rest); ordered by company name
    in that collation, as the live figures rank companies."""
    registrants = Registrant._meta.db_table
    companies = Company._meta.db_table
    sql = (
        f"SELECT g.to_status, g.guest_type, g.company_id, c.name, g.n FROM ("  # noqa: S608 (no user input in the SQL)
        f"  SELECT t.to_status, r.guest_type, r.company_id, COUNT(*) AS n"
        f"  FROM ({_status_at_sql()}) t JOIN {registrants} r ON r.id = t.registrant_id"
        f"  GROUP BY t.to_status, r.guest_type, r.company_id"
        f") g LEFT JOIN {companies} c ON c.id = g.company_id"
        f" ORDER BY c.name, g.company_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [event_id, connection.ops.adapt_datetimefield_value(at)])
        return cursor.fetchall()


def event_stats_as_of(
    *, event: Event, at: datetime.datetime | None, top_companies: int = selectors.TOP_COMPANIES
) -> dict[str, Any]:
    """selectors.event_stats as the endpoint would have answered at `at`
    (the live figures when `at` is absent or not in the past), plus `as_of`:
    the moment described, None for the live figures."""
    moment = past_moment(at)
    if moment is None:
        return {**selectors.event_stats(event=event, top_companies=top_companies), "as_of": None}
    by_status = {s.value: 0 for s in Status}
    by_guest_type = {g: 0 for g in GuestType.values}
    # Company id -> [name, attendees], first seen in name order: a stable
    # sort by count then keeps the live figures' (count desc, name) order.
    per_company: dict[int, list[Any]] = {}
    no_company = 0
    for status, guest_type, company_id, company_name, n in _groups_at(event.pk, moment):
        by_status[status] += n
        if status not in SEAT_HOLDING:
            continue
        if guest_type in by_guest_type:  # the live figures list known types only
            by_guest_type[guest_type] += n
        if company_id is None:
            no_company += n
        else:
            per_company.setdefault(company_id, [company_name, 0])[1] += n
    total = sum(by_status.values())
    attendees = sum(by_status[s] for s in SEAT_HOLDING)
    named = sorted(per_company.items(), key=lambda item: -item[1][1])
    top = named[:top_companies]
    return {
        "event": event.pk,
        "generated_at": timezone.now(),
        "as_of": moment,
        "capacity": event.capacity,
        "total": total,
        "attendees": attendees,
        "on_site": by_status[Status.ENTERED],
        "seats_left": max(0, event.capacity - attendees),
        "by_status": by_status,
        "by_guest_type": by_guest_type,
        "companies": {
            "top": [{"id": pk, "name": name, "count": n} for pk, (name, n) in top],
            "others": sum(n for _, (_, n) in named[top_companies:]),
            "others_companies": len(named) - len(top),
            "no_company": no_company,
        },
        "arrivals": selectors._arrivals(event.pk, until=moment),
        "occupancy": selectors._occupancy(event.pk, until=moment),
    }


def existing_at(queryset: QuerySet[Registrant], at: datetime.datetime) -> QuerySet[Registrant]:
    """The registrants of `queryset` that existed at `at` (a history row by then)."""
    return queryset.filter(
        Exists(StatusChange.objects.filter(registrant_id=OuterRef("pk"), at__lte=at))
    )


def with_status_at(
    queryset: QuerySet[Registrant], statuses: list[str], at: datetime.datetime | None
) -> QuerySet[Registrant]:
    """The registrants of `queryset` whose status at `at` (now when None)
    was one of `statuses`; those that did not exist then are left out."""
    moment = at if at is not None else timezone.now()
    newest = (
        StatusChange.objects.filter(registrant_id=OuterRef("pk"), at__lte=moment)
        .order_by("-at", "-id")
        .values("to_status")[:1]
    )
    return queryset.alias(status_then=Subquery(newest)).filter(status_then__in=statuses)
