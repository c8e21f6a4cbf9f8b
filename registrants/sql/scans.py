# ruff: noqa: S608  (table names come from the models, plans from the lifecycle)
"""The writes of a scan: a status change and its history rows.

PostgreSQL: one statement per lone scan (pg_scan_sql) or per group of scans
(pg_group_sql, docs/decisions/0133), or two per offline batch. SQLite: one
history row at a time (SQLITE_SCAN_HISTORY), then history.STATUS_UPDATE.
"""

from __future__ import annotations

from functools import lru_cache

from registrants.lifecycle import ScanMode

from .history import COMPANIES, HISTORY_COLUMNS, REGISTRANTS, history_insert, scan_row
from .plans import accepted_statuses, sql_literal, sql_plan_values

# The lone scan, one statement per mode. The row is locked only when its
# status is one the mode changes, and PostgreSQL re-checks that status after
# waiting for a concurrent writer's lock, so fifty simultaneous scans change
# it once. Parameters: code, event (None: any), now, actor. One result row
# when it changed something: id, event_id, name, guest_type, company name,
# status, then the history rows' ids, from- and to-statuses as arrays.
_PG_SCAN = """
WITH plan AS (
    SELECT * FROM (VALUES {plan}) AS p(from_status, step_no, step_from, step_to, final)
),
target AS (
    SELECT r.id, r.status AS old_status FROM {registrants} r
    WHERE r.check_in_code = %(code)s AND r.status IN ({accepted})
      AND (%(event)s::bigint IS NULL OR r.event_id = %(event)s::bigint)
    FOR UPDATE
),
upd AS (
    UPDATE {registrants} r
    SET status = (SELECT p.final FROM plan p WHERE p.from_status = t.old_status LIMIT 1),
        updated_at = %(now)s
    FROM target t WHERE r.id = t.id
    RETURNING r.id, r.event_id, r.name, r.guest_type, r.company_id, r.status, t.old_status
),
ins AS (
    {history}
)
SELECT u.id, u.event_id, u.name, u.guest_type, c.name, u.status,
       (SELECT array_agg(i.id ORDER BY i.id) FROM ins i),
       (SELECT array_agg(i.from_status ORDER BY i.id) FROM ins i),
       (SELECT array_agg(i.to_status ORDER BY i.id) FROM ins i)
FROM upd u LEFT JOIN {companies} c ON c.id = u.company_id
"""


def _planned_history(*, at: str, actor: str, join: str, returning: str) -> str:
    """The history rows of the changed registrants (`upd u`), one per step
    of their plan (`plan p`) matched by `join`: the lone and the group scan."""
    return history_insert(
        scan_row(
            registrant="u.id",
            event="u.event_id",
            from_status="p.step_from",
            to_status="p.step_to",
            at=at,
            actor=actor,
        ),
        f"FROM upd u JOIN plan p ON {join}",
        returning=returning,
    )


@lru_cache(maxsize=8)
def pg_scan_sql(mode: str) -> str:
    """The lone scan's statement for `mode`, its plan
    (lifecycle.scan_from_statuses) written in as literals."""
    history = _planned_history(
        at="%(now)s",
        actor="%(actor)s",
        join="p.from_status = u.old_status ORDER BY p.step_no",
        returning="id, from_status, to_status",
    )
    return _PG_SCAN.format(
        plan=", ".join(sql_plan_values(mode)),
        accepted=accepted_statuses(mode),
        registrants=REGISTRANTS,
        companies=COMPANIES,
        history=history,
    )


# The same for a group of scans, each of any mode, given as one JSON
# parameter (%(scans)s: n, code, mode, event, actor, at). One result row per
# scan it changed: n, id, event_id, name, guest_type, company name, status,
# then the history rows' ids, from- and to-statuses as arrays.
_PG_GROUP = """
WITH input AS (
    SELECT * FROM json_to_recordset(%(scans)s::json)
        AS i(n integer, code text, mode text, event bigint, actor integer, at timestamptz)
),
plan AS (
    SELECT * FROM (VALUES {plan}) AS p(mode, from_status, step_no, step_from, step_to, final)
),
target AS (
    SELECT r.id, r.status AS old_status, i.mode, i.actor, i.at, i.n
    FROM input i JOIN {registrants} r ON r.check_in_code = i.code
    WHERE r.status = ANY({accepted})
      AND (i.event IS NULL OR r.event_id = i.event)
    ORDER BY r.id
    FOR UPDATE OF r
),
upd AS (
    UPDATE {registrants} r
    SET status = (SELECT p.final FROM plan p
                  WHERE p.mode = t.mode AND p.from_status = t.old_status LIMIT 1),
        updated_at = t.at
    FROM target t WHERE r.id = t.id
    RETURNING r.id, r.event_id, r.name, r.guest_type, r.company_id, r.status,
              t.old_status, t.mode, t.actor, t.at, t.n
),
ins AS (
    {history}
)
SELECT u.n, u.id, u.event_id, u.name, u.guest_type, c.name, u.status,
       h.ids, h.froms, h.tos
FROM upd u
LEFT JOIN {companies} c ON c.id = u.company_id
JOIN (
    SELECT registrant_id, array_agg(id ORDER BY id) AS ids,
           array_agg(from_status ORDER BY id) AS froms, array_agg(to_status ORDER BY id) AS tos
    FROM ins GROUP BY registrant_id
) h ON h.registrant_id = u.id
"""


@lru_cache(maxsize=1)
def pg_group_sql() -> str:
    """The group statement with every mode's plan written in as literals:
    which statuses each mode accepts, and the steps and final status from
    each of them."""
    plan_rows: list[str] = []
    accepted = []
    for mode in sorted(ScanMode.values):
        plan_rows += sql_plan_values(mode, with_mode=True)
        accepted.append(f"WHEN {sql_literal(mode)} THEN ARRAY[{accepted_statuses(mode)}]::text[]")
    history = _planned_history(
        at="u.at",
        actor="u.actor",
        join="p.mode = u.mode AND p.from_status = u.old_status ORDER BY u.n, p.step_no",
        returning="id, registrant_id, from_status, to_status",
    )
    return _PG_GROUP.format(
        plan=", ".join(plan_rows),
        accepted=f"(CASE i.mode {' '.join(accepted)} END)",
        registrants=REGISTRANTS,
        companies=COMPANIES,
        history=history,
    )


def _array(column: str) -> str:
    return f"%s::{HISTORY_COLUMNS[column]}[]"


# An offline batch on PostgreSQL, once its moves are planned. Parameters:
# now, actor, then arrays of registrant ids, event ids, from- and
# to-statuses and the devices' scan times, in scan order.
PG_BATCH_HISTORY = history_insert(
    scan_row(
        registrant="v.r",
        event="v.e",
        from_status="v.f",
        to_status="v.t",
        at="%s",
        actor="%s",
        scanned_at="v.d",
    ),
    f"FROM unnest({_array('registrant_id')}, {_array('event_id')}, {_array('from_status')},"
    f" {_array('to_status')}, {_array('scanned_at')})"
    " WITH ORDINALITY AS v(r, e, f, t, d, n) ORDER BY v.n",
    returning="id, registrant_id, from_status, to_status",
)
# Then each moved registrant's final status. Parameters: now, ids, statuses.
PG_BATCH_STATUS = (
    f"UPDATE {REGISTRANTS} r SET status = v.s, updated_at = %s "
    "FROM unnest(%s::bigint[], %s::text[]) AS v(id, s) WHERE r.id = v.id"
)

# SQLite: one history row of a scan. Parameters: registrant, event, from,
# to, now, actor, the device's scan time (or None).
SQLITE_SCAN_HISTORY = history_insert(
    scan_row(
        registrant="%s",
        event="%s",
        from_status="%s",
        to_status="%s",
        at="%s",
        actor="%s",
        scanned_at="%s",
    ),
    returning="id",
)
