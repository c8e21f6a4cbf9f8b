# ruff: noqa: S608  (table names come from the models, statuses from the lifecycle)
"""The counts recomputed from the rows: to compare (`differences`) and to
repair (`recount`). The operators' `manage.py recount_counters`, the
migration's backfill and the soak test use them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, transaction

from registrants.counter_models import (
    BucketCount,
    CompanyCount,
    CompanyTally,
    GuestTypeCount,
    StatusCount,
)

from .tables import (
    ARRIVALS,
    BUCKET_COUNTS,
    BUCKET_SECONDS,
    CHECKED_IN,
    COMPANY_COUNTS,
    COMPANY_TALLY,
    ENTERED,
    ENTRIES,
    EXITS,
    GUEST_TYPE_COUNTS,
    HISTORY,
    REGISTRANTS,
    STATUS_COUNTS,
    seat_holding_sql,
)

# A count's key: (table, event, key...) -> n
Counts = dict[tuple, int]


def _bucket(column: str) -> str:
    if connection.vendor == "postgresql":
        return (
            f"(floor(extract(epoch from {column}) / {BUCKET_SECONDS}) * {BUCKET_SECONDS})::bigint"
        )
    # %% (a parameter list is always given): strftime's own %s
    return f"((CAST(strftime('%%s', {column}) AS INTEGER) / {BUCKET_SECONDS}) * {BUCKET_SECONDS})"


def _scope(event_id: int | None, column: str = "event_id") -> tuple[str, list[int]]:
    return ("", []) if event_id is None else (f" AND {column} = %s", [event_id])


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def expected(event_id: int | None = None) -> Counts:
    """Every count recomputed from the registrant and history rows (of one
    event, or all)."""
    where, params = _scope(event_id)
    seat = seat_holding_sql()
    counts: Counts = {}
    queries = [
        (STATUS_COUNTS, f"SELECT event_id, status, COUNT(*) FROM {REGISTRANTS}"
         f" WHERE 1 = 1{where} GROUP BY event_id, status"),
        (GUEST_TYPE_COUNTS, f"SELECT event_id, guest_type, COUNT(*) FROM {REGISTRANTS}"
         f" WHERE status IN ({seat}){where} GROUP BY event_id, guest_type"),
        (COMPANY_COUNTS, f"SELECT event_id, COALESCE(company_id, 0), COUNT(*) FROM {REGISTRANTS}"
         f" WHERE status IN ({seat}){where} GROUP BY event_id, COALESCE(company_id, 0)"),
        (COMPANY_TALLY, f"SELECT event_id, COUNT(DISTINCT company_id) FROM {REGISTRANTS}"
         f" WHERE status IN ({seat}) AND company_id IS NOT NULL{where} GROUP BY event_id"),
        (BUCKET_COUNTS, f"SELECT event_id, '{ARRIVALS}', {_bucket('first_at')}, COUNT(*) FROM ("
         f" SELECT event_id, registrant_id, MIN(at) AS first_at FROM {HISTORY}"
         f" WHERE to_status = {CHECKED_IN}{where} GROUP BY event_id, registrant_id) f"
         f" GROUP BY event_id, {_bucket('first_at')}"),
        (BUCKET_COUNTS, f"SELECT event_id, '{ENTRIES}', {_bucket('at')}, COUNT(*) FROM {HISTORY}"
         f" WHERE to_status = {ENTERED}{where} GROUP BY event_id, {_bucket('at')}"),
        (BUCKET_COUNTS, f"SELECT event_id, '{EXITS}', {_bucket('at')}, COUNT(*) FROM {HISTORY}"
         f" WHERE from_status = {ENTERED}{where} GROUP BY event_id, {_bucket('at')}"),
    ]  # fmt: skip
    for table, sql in queries:
        for *key, n in _rows(sql, params):
            counts[(table, *key)] = int(n)
    return counts


def current(event_id: int | None = None) -> Counts:
    """Every count as the counter tables hold it (summed over slots)."""
    where, params = _scope(event_id)
    counts: Counts = {}
    queries = [
        (STATUS_COUNTS, f"SELECT event_id, status, SUM(n) FROM {STATUS_COUNTS}"
         f" WHERE 1 = 1{where} GROUP BY event_id, status"),
        (GUEST_TYPE_COUNTS, f"SELECT event_id, guest_type, SUM(n) FROM {GUEST_TYPE_COUNTS}"
         f" WHERE 1 = 1{where} GROUP BY event_id, guest_type"),
        (COMPANY_COUNTS, f"SELECT event_id, company_id, SUM(n) FROM {COMPANY_COUNTS}"
         f" WHERE 1 = 1{where} GROUP BY event_id, company_id"),
        (BUCKET_COUNTS, f"SELECT event_id, kind, bucket, SUM(n) FROM {BUCKET_COUNTS}"
         f" WHERE 1 = 1{where} GROUP BY event_id, kind, bucket"),
    ]  # fmt: skip
    for table, sql in queries:
        for *key, n in _rows(sql, params):
            if n:
                counts[(table, *key)] = int(n)
    for event, n in _rows(_TALLIED_COMPANIES.format(where=where), params * 3):
        if n:
            counts[(COMPANY_TALLY, event)] = int(n)
    return counts


# The companies with seats as the stats read them (reads.py): the tally of
# slot 0's positive rows, less those of companies with rows in other slots,
# plus those companies whose exact total is positive.
_OTHER = (
    f"EXISTS (SELECT 1 FROM {COMPANY_COUNTS} o WHERE o.event_id = c.event_id"
    " AND o.company_id = c.company_id AND o.slot <> 0)"
)
_TALLIED_COMPANIES = (
    f"SELECT event_id, SUM(n) FROM ("
    f" SELECT event_id, n FROM {COMPANY_TALLY} WHERE 1 = 1{{where}}"
    f" UNION ALL SELECT event_id, -1 FROM {COMPANY_COUNTS} c WHERE slot = 0 AND n > 0"
    f" AND company_id <> 0{{where}} AND {_OTHER}"
    f" UNION ALL SELECT event_id, 1 FROM {COMPANY_COUNTS} c WHERE company_id <> 0{{where}}"
    f" AND {_OTHER} GROUP BY event_id, company_id HAVING SUM(n) > 0"
    f") k GROUP BY event_id"
)


def differences(event_id: int | None = None) -> dict[tuple, tuple[int, int]]:
    """The counts that differ from a recount: key -> (held, recounted).
    Empty when every counter is exact. Read under the same table locks as
    `recount`, so writers in flight cannot make a false difference."""
    with transaction.atomic():
        _lock_writers()
        held, recounted = current(event_id), expected(event_id)
    return {
        key: (held.get(key, 0), recounted.get(key, 0))
        for key in held.keys() | recounted.keys()
        if held.get(key, 0) != recounted.get(key, 0)
    }


def _lock_writers() -> None:
    """Wait for the writers in flight and hold off new ones until commit
    (PostgreSQL; SQLite's transaction already excludes other writers)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {REGISTRANTS}, {HISTORY} IN SHARE MODE")


def recount(event_id: int | None = None) -> int:
    """Replace the counts (of one event, or all) with a recount from the
    rows, in one transaction that holds off writers meanwhile. Returns how
    many counts differed before."""
    with transaction.atomic():
        _lock_writers()
        held, recounted = current(event_id), expected(event_id)
        changed = sum(1 for k in held.keys() | recounted.keys() if held.get(k) != recounted.get(k))
        for model in (StatusCount, GuestTypeCount, CompanyCount, CompanyTally, BucketCount):
            rows = (
                model.objects.all() if event_id is None else model.objects.filter(event_id=event_id)
            )
            rows.delete()
        _insert(recounted.items())
    return changed


def _insert(counts: Iterable[tuple[tuple, int]]) -> None:
    build: dict[str, Callable[..., Any]] = {
        STATUS_COUNTS: lambda e, status: StatusCount(event_id=e, status=status),
        GUEST_TYPE_COUNTS: lambda e, guest_type: GuestTypeCount(event_id=e, guest_type=guest_type),
        COMPANY_COUNTS: lambda e, company: CompanyCount(event_id=e, company_id=company),
        COMPANY_TALLY: lambda e: CompanyTally(event_id=e),
        BUCKET_COUNTS: lambda e, kind, bucket: BucketCount(event_id=e, kind=kind, bucket=bucket),
    }
    by_model: dict[Any, list] = {}
    for (table, *key), n in counts:
        row = build[table](*key)
        row.n = n
        by_model.setdefault(type(row), []).append(row)
    for model, rows in by_model.items():
        model.objects.bulk_create(rows, batch_size=5000)
