"""Names the trigger SQL of both databases shares."""

from __future__ import annotations

from registrants import lifecycle
from registrants.counter_models import (
    BucketCount,
    CompanyCount,
    CompanyTally,
    GuestTypeCount,
    StatusCount,
)
from registrants.models import Event, Registrant, StatusChange
from registrants.sql.plans import sql_literal

EVENTS = Event._meta.db_table
REGISTRANTS = Registrant._meta.db_table
HISTORY = StatusChange._meta.db_table
STATUS_COUNTS = StatusCount._meta.db_table
GUEST_TYPE_COUNTS = GuestTypeCount._meta.db_table
COMPANY_COUNTS = CompanyCount._meta.db_table
COMPANY_TALLY = CompanyTally._meta.db_table
BUCKET_COUNTS = BucketCount._meta.db_table

BUCKET_SECONDS = 15 * 60
# BucketCount.kind: first check-ins, entries (to entered), exits (from entered).
ARRIVALS, ENTRIES, EXITS = "a", "i", "x"

CHECKED_IN = sql_literal(lifecycle.Status.CHECKED_IN)
ENTERED = sql_literal(lifecycle.Status.ENTERED)


def seat_holding_sql() -> str:
    """The statuses that hold a seat, as an SQL list: read when the triggers
    are installed, so a change of lifecycle.SEAT_HOLDING needs a migration
    that installs them again (and a recount if rows already hold the status)."""
    return ", ".join(sql_literal(s) for s in sorted(lifecycle.SEAT_HOLDING))
