# ruff: noqa: S608  (the table name comes from the model, never from input)
"""How many scan conflicts a scanner may leave open.

Every conflict a batch stores waits for an organiser (the event's
conflicts page). Without a bound, one device could fill the table with
thousands of rows a second. So each (scanner, event) may have at most
GATEWAY_MAX_OPEN_CONFLICTS open conflicts (a device's scanner is its
service user; a person's token is the person). Past that, a batch item
that would be a conflict is still refused and answered, with `recorded:
false` and `refusal.code` "conflict_limit", and no row is added; clearing
conflicts on the page makes room again.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from .models import ScanConflict
from .scan import BatchPlan, Principal

LIMIT_CODE = "conflict_limit"

# A scanner's open conflicts in an event (on the (actor, event) index).
OPEN = f"SELECT count(*) FROM {ScanConflict._meta.db_table} WHERE actor_id = %s AND event_id = %s"

# A batch's conflicts: these columns from the plan, then the device, the
# scanner and the time received.
COLUMNS = ["event_id", "registrant_id", "code", "mode", "reason", "status", "nonce", "scanned_at"]
_INSERT = (
    f"INSERT INTO {ScanConflict._meta.db_table} "
    f"({', '.join(COLUMNS)}, device_id, actor_id, received_at) "
)
# PostgreSQL: all of them in one statement (pg_insert_params).
PG_INSERT = (
    _INSERT + "SELECT v.*, %s, %s, %s FROM unnest(%s::bigint[], %s::bigint[], "
    "%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::timestamptz[]) AS v"
)
# SQLite: one row at a time (executemany).
SQLITE_INSERT = _INSERT + f"VALUES ({', '.join(['%s'] * (len(COLUMNS) + 3))})"


def pg_insert_params(plan: BatchPlan, principal: Principal, now: Any) -> tuple:
    """PG_INSERT's parameters for the plan's conflicts."""
    return (
        principal.device_id,
        principal.user_id,
        now,
        *[[c[k] for c in plan.conflicts] for k in COLUMNS],
    )


# Lets one scanner's batch transaction count and add its conflicts alone on
# PostgreSQL (pg_advisory_xact_lock's first key; the second is the scanner).
ADVISORY_NAMESPACE = 0x5C0C


def open_limit() -> int:
    return int(settings.GATEWAY_MAX_OPEN_CONFLICTS)


def cap(plan: BatchPlan, open_now: int, limit: int) -> None:
    """Keep the plan's conflicts that fit under `limit` (in scan order); the
    others are answered as not recorded and dropped from the writes."""
    room = max(limit - open_now, 0)
    for conflict in plan.conflicts[room:]:
        result = plan.results[conflict["index"]]
        result["recorded"] = False
        result["refusal"] = {
            "code": LIMIT_CODE,
            "message": (
                f"This scanner already has {limit} open conflicts for this event; "
                "the scan was refused and not recorded. Ask an organiser to review "
                "and clear the event's scan conflicts."
            ),
        }
    del plan.conflicts[room:]
