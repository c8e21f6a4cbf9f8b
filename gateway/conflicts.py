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

from django.conf import settings

from .models import ScanConflict
from .scan import BatchPlan

LIMIT_CODE = "conflict_limit"

# A scanner's open conflicts in an event (on the (actor, event) index).
OPEN = (
    f"SELECT count(*) FROM {ScanConflict._meta.db_table} "  # noqa: S608 (a model's table)
    "WHERE actor_id = %s AND event_id = %s"
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
