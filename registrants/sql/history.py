# ruff: noqa: S608  (table and column names come from the models, never from input)
"""The history row, declared once, and the statements that write it.

Every SQL writer of a StatusChange lists its values by the names in
HISTORY_COLUMNS: a statement that forgets a column, or names one the table
does not have, is refused when it is built, not when it runs.
"""

from __future__ import annotations

from collections.abc import Mapping

from registrants.models import Company, Registrant, Source, StatusChange

from .plans import sql_literal

REGISTRANTS = Registrant._meta.db_table
HISTORY = StatusChange._meta.db_table
COMPANIES = Company._meta.db_table

# Column -> its PostgreSQL type (for the array parameters of bulk writes).
# A test holds it to the model's fields.
HISTORY_COLUMNS: dict[str, str] = {
    "registrant_id": "bigint",
    "event_id": "bigint",
    "from_status": "text",
    "to_status": "text",
    "at": "timestamptz",
    "actor_id": "integer",
    "source": "text",
    "note": "text",
    # The scanning device's clock, for offline batches; NULL otherwise.
    "scanned_at": "timestamptz",
}


def history_insert(values: Mapping[str, str], tail: str | None = None, returning: str = "") -> str:
    """INSERT INTO the history table with one SQL expression per column of
    HISTORY_COLUMNS: `INSERT ... SELECT <values> <tail>`, or a single
    `VALUES (<values>)` row when `tail` is None."""
    if set(values) != set(HISTORY_COLUMNS):
        wrong = sorted(set(values) ^ set(HISTORY_COLUMNS))
        raise ValueError(f"a history row needs exactly its columns; check {wrong}")
    columns = ", ".join(HISTORY_COLUMNS)
    exprs = ", ".join(values[c] for c in HISTORY_COLUMNS)
    body = f"VALUES ({exprs})" if tail is None else f"SELECT {exprs} {tail}"
    sql = f"INSERT INTO {HISTORY} ({columns}) {body}"
    return f"{sql} RETURNING {returning}" if returning else sql


def scan_row(
    *,
    registrant: str,
    event: str,
    from_status: str,
    to_status: str,
    at: str,
    actor: str,
    scanned_at: str = "NULL",
) -> dict[str, str]:
    """The SQL expressions of a history row a scan writes: source "scan", no note."""
    return {
        "registrant_id": registrant,
        "event_id": event,
        "from_status": from_status,
        "to_status": to_status,
        "at": at,
        "actor_id": actor,
        "source": sql_literal(Source.SCAN),
        "note": "''",
        "scanned_at": scanned_at,
    }


# One registrant's status, and the time it changed (SQLite's scan paths).
STATUS_UPDATE = f"UPDATE {REGISTRANTS} SET status = %s, updated_at = %s WHERE id = %s"
