"""The first companies of an event by id, one index probe each.

The registrant list's company menu needs the event's companies, or only to
know that there are more than it shows (dashboard/listing.py). `SELECT
DISTINCT company_id ... LIMIT 201` walks the (event, company) index entry
by entry: at a million registrants over 20,000 companies, 9,000 entries
for 201 ids (2.7 ms). This walk jumps from each company to the next
(`min(company_id) > previous`, a recursive query PostgreSQL and SQLite
both run off the same index): 201 probes, 0.8 ms.
"""

from __future__ import annotations

from django.db import connection

from .models import Registrant

_TABLE = Registrant._meta.db_table
_SQL = f"""
WITH RECURSIVE walk(id, n) AS (
    SELECT (SELECT min(company_id) FROM {_TABLE} WHERE event_id = %s), 1
    UNION ALL
    SELECT (
        SELECT min(r.company_id) FROM {_TABLE} r WHERE r.event_id = %s AND r.company_id > walk.id
    ), n + 1
    FROM walk WHERE walk.id IS NOT NULL AND n < %s
)
SELECT id FROM walk WHERE id IS NOT NULL
"""  # noqa: S608  (the table name is the model's)


def first_company_ids(event_id: int, limit: int) -> list[int]:
    """Up to `limit` distinct company ids of the event's registrants, lowest
    first (registrants without a company left out)."""
    if limit < 1:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [event_id, event_id, limit])
        return [row[0] for row in cursor.fetchall()]
