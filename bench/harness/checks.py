"""The SQL invariant checks run after a benchmark: every registrant's status
is its newest history row's (docs/invariants.md), and every accepted scan
wrote exactly one history row."""

from __future__ import annotations

import psycopg
from psycopg import sql

from bench.harness.database import psycopg_conninfo


def verify(
    db_url: str, event_id: int, expected: dict[str, int], unknown: set[str]
) -> tuple[list[str], int]:
    """Check the database against what the clients were told.

    `expected` maps each code answered `changed: true` to the user id that
    scanned it; `unknown` holds codes whose request failed (they may or may
    not have changed, but must be consistent either way). Returns
    (violations, history rows written by scans).
    """
    from registrants.models import Registrant, StatusChange

    query = sql.SQL(
        """
        SELECT r.check_in_code, r.status, h.newest, h.moves, h.scan_actors
        FROM {registrant} r
        LEFT JOIN LATERAL (
            SELECT (array_agg(c.to_status ORDER BY c.id DESC))[1] AS newest,
                   count(*) FILTER (WHERE c.from_status <> '') AS moves,
                   array_agg(c.actor_id) FILTER (
                       WHERE c.from_status = 'registered' AND c.to_status = 'checked_in'
                         AND c.source = 'scan') AS scan_actors
            FROM {change} c WHERE c.registrant_id = r.id
        ) h ON true
        WHERE r.event_id = %s
        """
    ).format(
        registrant=sql.Identifier(Registrant._meta.db_table),
        change=sql.Identifier(StatusChange._meta.db_table),
    )
    problems: list[str] = []
    written = 0
    seen: set[str] = set()
    with psycopg.connect(psycopg_conninfo(db_url)) as conn:
        rows = conn.execute(query, (event_id,)).fetchall()
    for code, status, newest, moves, scan_actors in rows:
        seen.add(code)
        written += moves
        tag = f"code {code[:8]}…"
        if newest is None:
            problems.append(f"{tag}: no history at all")
        elif status != newest:
            problems.append(f"{tag}: I1 status {status} but newest history row says {newest}")
        if code in expected:
            if status != "checked_in":
                problems.append(f"{tag}: answered changed=true but status is {status}")
            if moves != 1 or scan_actors != [expected[code]]:
                problems.append(
                    f"{tag}: expected one scan row by user {expected[code]}, "
                    f"found {moves} moves, scan actors {scan_actors}"
                )
        elif code in unknown:
            if (status, moves) not in {("registered", 0), ("checked_in", 1)}:
                problems.append(f"{tag}: failed request left status {status} with {moves} moves")
        elif status != "registered" or moves:
            problems.append(f"{tag}: never scanned, yet status {status} with {moves} moves")
    missing = set(expected) - seen
    if missing:
        problems.append(f"{len(missing)} scanned codes are not in the event any more")
    if len(problems) > 20:
        problems = [*problems[:20], f"... and {len(problems) - 20} more"]
    return problems, written


def check_database(db_url: str) -> list[str]:
    """I1 for every registrant, and no scan wrote more than one row."""
    with psycopg.connect(psycopg_conninfo(db_url)) as conn:
        bad = conn.execute(
            "SELECT r.id FROM registrants_registrant r JOIN LATERAL (SELECT to_status FROM "
            "registrants_statuschange h WHERE h.registrant_id = r.id ORDER BY h.id DESC LIMIT 1) "
            "last ON true WHERE last.to_status <> r.status"
        ).fetchall()
        doubles = conn.execute(
            "SELECT registrant_id FROM registrants_statuschange WHERE source = 'scan' "
            "GROUP BY registrant_id HAVING count(*) > 1"
        ).fetchall()
    return [f"I1 violated for registrant {r[0]}" for r in bad] + [
        f"registrant {r[0]} scanned twice" for r in doubles
    ]


def check_writes(codes: list[str], changed: set[str], accepted: set[str]) -> dict[str, int]:
    """SQL over what a load sent (through Django's connection): history rows
    per code, lost and doubled writes."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            """SELECT r.check_in_code, r.status,
                      COUNT(h.id) FILTER (WHERE h.to_status = 'checked_in')
                 FROM registrants_registrant r
                 LEFT JOIN registrants_statuschange h ON h.registrant_id = r.id
                WHERE r.check_in_code = ANY(%s)
                GROUP BY r.id""",
            [codes],
        )
        rows = cur.fetchall()
    by_code = {code: (status, n) for code, status, n in rows}
    return {
        "checked in (status)": sum(1 for st_, _ in by_code.values() if st_ == "checked_in"),
        "check-in history rows": sum(n for _, n in by_code.values()),
        "accepted but not checked in (lost)": sum(
            1 for c in accepted if by_code[c][0] != "checked_in"
        ),
        "changed:true without exactly one row": sum(1 for c in changed if by_code[c][1] != 1),
        "codes with two or more rows (double)": sum(1 for _, n in by_code.values() if n > 1),
        "written but never accepted": sum(
            1 for c, (_, n) in by_code.items() if n and c not in accepted
        ),
    }
