# ruff: noqa: S608  (table names come from the models)
"""The dashboard's numbers read from the counters: a few dozen rows per
event, however many registrants it has, in one statement (one snapshot, so
the numbers agree with each other)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection

from registrants.lifecycle import SEAT_HOLDING, Status
from registrants.models import Company, Event, StatusChange

from .tables import (
    ARRIVALS,
    BUCKET_COUNTS,
    COMPANY_COUNTS,
    COMPANY_TALLY,
    ENTRIES,
    EXITS,
    GUEST_TYPE_COUNTS,
    STATUS_COUNTS,
)

_STATUS = f"SELECT 's', status, 0, SUM(n) FROM {STATUS_COUNTS} WHERE event_id = %s GROUP BY status"
_LAST_CHANGE = f"SELECT 'l', '', COALESCE(MAX(id), 0), 0 FROM {StatusChange._meta.db_table} WHERE event_id = %s"

# Named companies with a count outside slot 0 (`other`, few); the exact
# counts (`t`) of those and of slot 0's largest: the top `top` + len(other)
# by slot 0's count (with ties) hold every company of the true top `top`,
# since only companies of `other` differ from their slot 0 count. How many
# companies hold seats (`k`): the tally of slot 0's positive rows, with the
# companies of `other` counted by their exact totals instead.
_NUMBERS = f"""
WITH other AS (
    SELECT DISTINCT company_id FROM {COMPANY_COUNTS}
    WHERE event_id = %s AND slot <> 0 AND company_id <> 0
),
candidates AS (
    SELECT company_id FROM {COMPANY_COUNTS}
    WHERE event_id = %s AND slot = 0 AND company_id <> 0 AND n >= COALESCE((
        SELECT n FROM {COMPANY_COUNTS} WHERE event_id = %s AND slot = 0 AND company_id <> 0
        ORDER BY n DESC LIMIT 1 OFFSET %s + (SELECT COUNT(*) FROM other)), 1)
    UNION SELECT company_id FROM other
),
t AS (
    -- One index lookup per candidate: the planner cannot tell how few they are.
    SELECT c.company_id,
           (SELECT SUM(x.n) FROM {COMPANY_COUNTS} x
            WHERE x.event_id = %s AND x.company_id = c.company_id) AS n,
           (SELECT co.name FROM {Company._meta.db_table} co WHERE co.id = c.company_id) AS name
    FROM candidates c
)
{_STATUS}
UNION ALL
SELECT 'g', guest_type, 0, SUM(n) FROM {GUEST_TYPE_COUNTS} WHERE event_id = %s GROUP BY guest_type
UNION ALL
SELECT 'b', kind, bucket, SUM(n) FROM {BUCKET_COUNTS} WHERE event_id = %s GROUP BY kind, bucket
UNION ALL
SELECT 'c', name, company_id, n FROM t WHERE n > 0
UNION ALL
SELECT 'k', '', COALESCE((SELECT SUM(n) FROM {COMPANY_TALLY} WHERE event_id = %s), 0) - (
    SELECT COUNT(*) FROM {COMPANY_COUNTS} WHERE event_id = %s AND slot = 0 AND n > 0
    AND company_id IN (SELECT company_id FROM other)
) + (SELECT COUNT(*) FROM t WHERE n > 0 AND company_id IN (SELECT company_id FROM other)), 0
UNION ALL
SELECT 'n', '', 0, SUM(n) FROM {COMPANY_COUNTS} WHERE event_id = %s AND company_id = 0
UNION ALL
SELECT 'e', time_zone, capacity, 0 FROM {Event._meta.db_table} WHERE id = %s
"""


def _fetch(sql: str, params: list[Any]) -> list[tuple[str, str, int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(kind, key, int(number), int(n or 0)) for kind, key, number, n in cursor.fetchall()]


def _by_status(rows: list[tuple[str, str, int, int]]) -> dict[str, int]:
    counts = {s.value: 0 for s in Status}
    counts.update({key: n for kind, key, _, n in rows if kind == "s"})
    return counts


def status_counts(event_id: int) -> dict[str, int]:
    """Registrants of the event per status (every status, 0 when none)."""
    return _by_status(_fetch(_STATUS, [event_id]))


def seats_taken(event_id: int) -> int:
    """Registrants of the event in a status that holds a seat."""
    counts = status_counts(event_id)
    return sum(counts.get(s.value, 0) for s in SEAT_HOLDING)


def counts_and_last_change(event_id: int) -> tuple[dict[str, int], int]:
    """status_counts and the newest history row id of the event, read together."""
    rows = _fetch(f"{_STATUS} UNION ALL {_LAST_CHANGE}", [event_id, event_id])
    last = next((number for kind, _, number, _ in rows if kind == "l"), 0)
    return _by_status(rows), last


def _bucket_time(epoch: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC)


def numbers_statement(event_id: int, *, top_companies: int) -> tuple[str, list[Any]]:
    """event_numbers' SQL and parameters, for a caller that sends it with
    another statement (selectors.event_stats_and_feed)."""
    return _NUMBERS, [event_id] * 3 + [max(0, top_companies - 1)] + [event_id] * 8


def event_numbers(event_id: int, *, top_companies: int) -> dict[str, Any] | None:
    """The event's capacity and time zone, by_status, guest types and companies of the
    seat holders, arrivals and occupancy per bucket (the shapes of
    selectors.event_stats); None when there is no such event. The event's
    row comes in the same statement: a stats read is one round trip."""
    with connection.cursor() as cursor:
        cursor.execute(*numbers_statement(event_id, top_companies=top_companies))
        return numbers_from_rows(cursor.fetchall(), top_companies=top_companies)


def numbers_from_rows(raw: list[tuple[Any, ...]], *, top_companies: int) -> dict[str, Any] | None:
    """event_numbers from the rows of numbers_statement."""
    rows = [(kind, key, int(number), int(n or 0)) for kind, key, number, n in raw]
    capacity = next((number for kind, _, number, _ in rows if kind == "e"), None)
    if capacity is None:
        return None
    buckets: dict[int, dict[str, int]] = {}
    for kind, key, number, n in rows:
        if kind == "b":
            buckets.setdefault(number, {})[key] = n
    inside, occupancy = 0, []
    for bucket in sorted(buckets):
        entries, exits = buckets[bucket].get(ENTRIES, 0), buckets[bucket].get(EXITS, 0)
        if entries or exits:
            inside += entries - exits
            occupancy.append({"start": _bucket_time(bucket), "inside": inside})
    named = sorted(((-n, name, cid) for kind, name, cid, n in rows if kind == "c"))
    top = [{"id": cid, "name": name, "count": -n} for n, name, cid in named[:top_companies]]
    top_total = sum(-n for n, _, _ in named[:top_companies])
    companies = next((c for kind, _, c, _ in rows if kind == "k"), 0)
    by_status = _by_status(rows)
    no_company = next((n for kind, _, _, n in rows if kind == "n"), 0)
    named_seats = sum(by_status.get(s.value, 0) for s in SEAT_HOLDING) - no_company
    return {
        "capacity": capacity,
        "time_zone": next(key for kind, key, _, _ in rows if kind == "e"),
        "by_status": by_status,
        "by_guest_type": {key: n for kind, key, _, n in rows if kind == "g"},
        "companies": {
            "top": top,
            "others": named_seats - top_total,
            "others_companies": max(0, companies - len(top)),
            "no_company": no_company,
        },
        "arrivals": [
            {"start": _bucket_time(b), "count": counts[ARRIVALS]}
            for b, counts in sorted(buckets.items())
            if counts.get(ARRIVALS, 0) > 0
        ],
        "occupancy": occupancy,
    }
