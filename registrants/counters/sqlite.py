# ruff: noqa: S608  (table names come from the models, statuses from the lifecycle)
"""SQLite: row-level triggers (SQLite has no others). One writer at a time,
so every count lives in slot 0."""

from __future__ import annotations

from .tables import (
    ARRIVALS,
    BUCKET_COUNTS,
    BUCKET_SECONDS,
    CHECKED_IN,
    COMPANY_COUNTS,
    COMPANY_TALLY,
    ENTERED,
    ENTRIES,
    EVENTS,
    EXITS,
    GUEST_TYPE_COUNTS,
    HISTORY,
    REGISTRANTS,
    STATUS_COUNTS,
    seat_holding_sql,
)

# A delete counts only while its event exists. Django's flush (the tests)
# deletes every table's rows in no fixed order; with the event's own
# trigger (registrants_count_event_del) no count outlives its event.
_EVENT_EXISTS = f"EXISTS (SELECT 1 FROM {EVENTS} e WHERE e.id = OLD.event_id)"


def _bucket(column: str) -> str:
    return f"((CAST(strftime('%s', {column}) AS INTEGER) / {BUCKET_SECONDS}) * {BUCKET_SECONDS})"


def _add_registrant(row: str, sign: int) -> str:
    """Statements adding registrant `row` (NEW or OLD) with `sign` to the
    counts. A company's count that has just become 1 (or 0) crossed zero:
    the event's tally of companies with seats moves with it."""
    seat = seat_holding_sql()
    return f"""
    INSERT INTO {STATUS_COUNTS} (event_id, status, slot, n)
    VALUES ({row}.event_id, {row}.status, 0, {sign})
    ON CONFLICT (event_id, status, slot) DO UPDATE SET n = n + excluded.n;
    INSERT INTO {GUEST_TYPE_COUNTS} (event_id, guest_type, slot, n)
    SELECT {row}.event_id, {row}.guest_type, 0, {sign} WHERE {row}.status IN ({seat})
    ON CONFLICT (event_id, guest_type, slot) DO UPDATE SET n = n + excluded.n;
    INSERT INTO {COMPANY_COUNTS} (event_id, company_id, slot, n)
    SELECT {row}.event_id, COALESCE({row}.company_id, 0), 0, {sign} WHERE {row}.status IN ({seat})
    ON CONFLICT (event_id, company_id, slot) DO UPDATE SET n = n + excluded.n;
    INSERT INTO {COMPANY_TALLY} (event_id, n)
    SELECT {row}.event_id, {sign} FROM {COMPANY_COUNTS} c
    WHERE {row}.status IN ({seat}) AND {row}.company_id IS NOT NULL
    AND c.event_id = {row}.event_id AND c.company_id = {row}.company_id AND c.slot = 0
    AND c.n = {1 if sign > 0 else 0}
    ON CONFLICT (event_id) DO UPDATE SET n = n + excluded.n;
    """


def _add_bucket(event: str, kind: str, bucket: str, sign: int, tail: str) -> str:
    return f"""
    INSERT INTO {BUCKET_COUNTS} (event_id, kind, bucket, slot, n)
    SELECT {event}, '{kind}', {bucket}, 0, {sign} {tail}
    ON CONFLICT (event_id, kind, bucket, slot) DO UPDATE SET n = n + excluded.n;
    """


def _check_ins(row: str, *, other: str) -> str:
    """The registrant's check-ins other than `row`, matching `other`."""
    return (
        f"FROM {HISTORY} h WHERE h.registrant_id = {row}.registrant_id"
        f" AND h.to_status = {CHECKED_IN} AND h.id <> {row}.id AND {other}"
    )


def _history_inserted() -> str:
    earlier_or_same = f"NOT EXISTS (SELECT 1 {_check_ins('NEW', other='h.at <= NEW.at')})"
    was = f"(SELECT MIN(h.at) AS at {_check_ins('NEW', other='1')}) p"
    return f"""
CREATE TRIGGER registrants_count_hist_ins AFTER INSERT ON {HISTORY}
WHEN NEW.to_status IN ({CHECKED_IN}, {ENTERED}) OR NEW.from_status = {ENTERED}
BEGIN
    -- A first check-in earlier than the one counted so far moves the arrival.
    {_add_bucket("NEW.event_id", ARRIVALS, _bucket("p.at"), -1,
                 f"FROM {was} WHERE NEW.to_status = {CHECKED_IN} AND p.at > NEW.at")}
    {_add_bucket("NEW.event_id", ARRIVALS, _bucket("NEW.at"), 1,
                 f"WHERE NEW.to_status = {CHECKED_IN} AND {earlier_or_same}")}
    {_add_bucket("NEW.event_id", ENTRIES, _bucket("NEW.at"), 1,
                 f"WHERE NEW.to_status = {ENTERED}")}
    {_add_bucket("NEW.event_id", EXITS, _bucket("NEW.at"), 1,
                 f"WHERE NEW.from_status = {ENTERED}")}
END
"""  # fmt: skip


def _history_deleted() -> str:
    # The table no longer holds OLD: it was the first check-in when no
    # remaining one is at or before it; the earliest remaining one is next.
    was_first = (
        f"NOT EXISTS (SELECT 1 FROM {HISTORY} h WHERE h.registrant_id = OLD.registrant_id"
        f" AND h.to_status = {CHECKED_IN} AND h.at <= OLD.at)"
    )
    rest = (
        f"(SELECT MIN(h.at) AS at FROM {HISTORY} h WHERE h.registrant_id = OLD.registrant_id"
        f" AND h.to_status = {CHECKED_IN}) p"
    )
    return f"""
CREATE TRIGGER registrants_count_hist_del AFTER DELETE ON {HISTORY}
WHEN (OLD.to_status IN ({CHECKED_IN}, {ENTERED}) OR OLD.from_status = {ENTERED})
     AND {_EVENT_EXISTS}
BEGIN
    {_add_bucket("OLD.event_id", ARRIVALS, _bucket("OLD.at"), -1,
                 f"WHERE OLD.to_status = {CHECKED_IN} AND {was_first}")}
    {_add_bucket("OLD.event_id", ARRIVALS, _bucket("p.at"), 1,
                 f"FROM {rest} WHERE OLD.to_status = {CHECKED_IN} AND p.at IS NOT NULL"
                 f" AND {was_first}")}
    {_add_bucket("OLD.event_id", ENTRIES, _bucket("OLD.at"), -1,
                 f"WHERE OLD.to_status = {ENTERED}")}
    {_add_bucket("OLD.event_id", EXITS, _bucket("OLD.at"), -1,
                 f"WHERE OLD.from_status = {ENTERED}")}
END
"""  # fmt: skip


_NAMES = [
    "registrants_count_ins",
    "registrants_count_upd",
    "registrants_count_del",
    "registrants_count_hist_ins",
    "registrants_count_hist_del",
    "registrants_count_event_del",
]
UNINSTALL = [f"DROP TRIGGER IF EXISTS {name}" for name in _NAMES]


def install_sql() -> list[str]:
    """The statements that (re)create the triggers. A migration that
    rebuilds the registrant or history table on SQLite (an AlterField)
    drops them with the old table: it must install them again."""
    changed = (
        "OLD.event_id IS NOT NEW.event_id OR OLD.status IS NOT NEW.status"
        " OR OLD.guest_type IS NOT NEW.guest_type OR OLD.company_id IS NOT NEW.company_id"
    )
    return [
        *UNINSTALL,
        f"CREATE TRIGGER registrants_count_ins AFTER INSERT ON {REGISTRANTS} BEGIN"
        f" {_add_registrant('NEW', 1)} END",
        f"CREATE TRIGGER registrants_count_upd AFTER UPDATE ON {REGISTRANTS} WHEN {changed} BEGIN"
        f" {_add_registrant('OLD', -1)} {_add_registrant('NEW', 1)} END",
        f"CREATE TRIGGER registrants_count_del AFTER DELETE ON {REGISTRANTS}"
        f" WHEN {_EVENT_EXISTS} BEGIN {_add_registrant('OLD', -1)} END",
        f"CREATE TRIGGER registrants_count_event_del AFTER DELETE ON {EVENTS} BEGIN"
        + "".join(
            f" DELETE FROM {table} WHERE event_id = OLD.id;"
            for table in (
                STATUS_COUNTS,
                GUEST_TYPE_COUNTS,
                COMPANY_COUNTS,
                COMPANY_TALLY,
                BUCKET_COUNTS,
            )
        )
        + " END",
        _history_inserted(),
        _history_deleted(),
    ]
