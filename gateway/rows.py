# ruff: noqa: S608  (table names come from the models' _meta, never from input)
"""The gateway's reads of a scanned registrant, and the rows they decode to.

Both backends read the same columns (ROW_COLUMNS); the writes are
registrants.sql's. A scan that changed nothing is answered from the row as
it is now and the newest history row to its status ("already checked in by
Sam at 18:42").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from django.contrib.auth import get_user_model

from registrants.models import Company, Event, Registrant, StatusChange
from registrants.presenters import person_name

from . import scan as rules
from .scan import BatchItem, Outcome, Previous, Principal, Row

R = Registrant._meta.db_table
C = Company._meta.db_table
E = Event._meta.db_table
H = StatusChange._meta.db_table
U = get_user_model()._meta.db_table

ROW_COLUMNS = "r.id, r.event_id, r.name, r.guest_type, c.name, r.status, e.name, e.time_zone"
# The joins ROW_COLUMNS needs (the event's name, for a wrong_event refusal;
# its time zone, for a repeat's time).
ROW_JOINS = f"LEFT JOIN {C} c ON c.id = r.company_id JOIN {E} e ON e.id = r.event_id"

# Who the code belongs to now, and the newest history row to their status.
ROW_AND_PREVIOUS = f"""
SELECT {ROW_COLUMNS}, h.at, h.actor_id, u.first_name, u.last_name, u.username
FROM {R} r
{ROW_JOINS}
LEFT JOIN {H} h ON h.id = (
    SELECT MAX(h2.id) FROM {H} h2 WHERE h2.registrant_id = r.id AND h2.to_status = r.status
)
LEFT JOIN {U} u ON u.id = h.actor_id
WHERE r.check_in_code = %s
"""

ROW_BY_CODE = f"SELECT {ROW_COLUMNS} FROM {R} r {ROW_JOINS} WHERE r.check_in_code = %s"

# A PostgreSQL batch's rows, locked in id order; the code last.
PG_BATCH_ROWS = (
    f"SELECT {ROW_COLUMNS}, r.check_in_code FROM {R} r {ROW_JOINS} "
    "WHERE r.check_in_code = ANY(%s::text[]) ORDER BY r.id FOR UPDATE OF r"
)


def row(values) -> Row:
    """A row from a write's result (id, event, name, guest type, company, status)."""
    return Row(
        id=values[0],
        event_id=values[1],
        name=values[2],
        guest_type=values[3],
        company=values[4],
        status=values[5],
    )


def read_row(values) -> Row:
    """A row read with ROW_COLUMNS (the event's name and time zone included)."""
    return replace(row(values), event_name=values[6], event_time_zone=values[7])


def _previous(values) -> Previous | None:
    at, actor_id, first, last, username = values[8:13]
    if at is None:
        return None
    if isinstance(at, str):
        at = dt.datetime.fromisoformat(at)
    by = person_name(first, last, username) if actor_id else None
    return Previous(at=rules.utc(at), by=by)


def outcome_from_lookup(mode: str, values, principal: Principal) -> tuple[Outcome, tuple]:
    """A scan that changed nothing: why (from ROW_AND_PREVIOUS's row)."""
    found = read_row(values) if values else None
    kind, steps = rules.decide(mode, found, principal)
    previous = _previous(values) if kind == "repeat" else None
    return Outcome(kind, row=found, mode=mode, previous=previous), steps


def in_scan_order(items: list[BatchItem]) -> list[BatchItem]:
    """A batch's items in the order the devices scanned them."""
    return sorted(items, key=lambda i: (i.scanned_at, i.index))
