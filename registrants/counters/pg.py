# ruff: noqa: S608  (table names come from the models, statuses from the lifecycle)
"""PostgreSQL: statement-level triggers with transition tables.

One trigger call per statement, however many rows it wrote: an import's
COPY of 100,000 registrants adds a handful of grouped upserts, not 100,000.
Each transaction writes to the counter rows of one slot, taken with an
advisory lock on its first change (registrants_counter_slot): sixteen
scanners each hold a slot of their own and never wait for one another's
commit, and no transaction waits for a counter row. Only when every slot is
taken does a writer wait (for the slot lock, until its holder commits).
"""

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
    EXITS,
    GUEST_TYPE_COUNTS,
    HISTORY,
    REGISTRANTS,
    STATUS_COUNTS,
    seat_holding_sql,
)

SLOTS = 16
# The advisory lock space of the slots (pg_advisory_xact_lock(int, int)).
LOCK_SPACE = 0x52440190

# Slot 0 is the companies' own (see COMPANY_SLOT_FUNCTION); the others go
# to writers in turn.
SLOT_FUNCTION = f"""
CREATE OR REPLACE FUNCTION registrants_counter_slot() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    held text := current_setting('registrants.counter_slot', true);
    preferred integer := 1 + pg_backend_pid() % {SLOTS};
    candidate integer;
BEGIN
    IF held IS NOT NULL AND held <> '' THEN
        RETURN held::integer;
    END IF;
    -- A free slot if there is one (a pooled connection mostly finds its
    -- own); when all are taken, wait for this connection's.
    FOR step IN 0..{SLOTS - 1} LOOP
        candidate := 1 + (preferred + step) % {SLOTS};
        IF pg_try_advisory_xact_lock({LOCK_SPACE}, candidate) THEN
            PERFORM set_config('registrants.counter_slot', candidate::text, true);
            RETURN candidate;
        END IF;
    END LOOP;
    PERFORM pg_advisory_xact_lock({LOCK_SPACE}, preferred);
    PERFORM set_config('registrants.counter_slot', preferred::text, true);
    RETURN preferred;
END $$;
"""


# A company's count goes to slot 0 whenever no other writer holds it (it is
# only tried, never waited for), else to the writer's own slot: the top
# companies are then read from slot 0 in index order of `n`, corrected by the
# few companies with rows in other slots (reads.py).
COMPANY_SLOT_FUNCTION = f"""
CREATE OR REPLACE FUNCTION registrants_company_slot(own integer) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
    IF pg_try_advisory_xact_lock({LOCK_SPACE}, 0) THEN
        RETURN 0;
    END IF;
    RETURN own;
END $$;
"""

# Counter rows change many times a second at the doors: each update leaves
# a dead version behind, and a read of a long chain of them checks every
# one (the status counts of a 1M event read in 140 ms after 16 scanners;
# 8 ms once rebuilt at fillfactor 10). A page kept 90% empty is pruned on
# nearly every visit, so chains stay short.
TABLE_SETTINGS = [
    f"ALTER TABLE {table} SET (fillfactor = {fill}, autovacuum_vacuum_scale_factor = 0,"
    " autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_cost_delay = 0)"
    for table, fill in ((STATUS_COUNTS, 10), (BUCKET_COUNTS, 10), (GUEST_TYPE_COUNTS, 50),
                        (COMPANY_COUNTS, 50))
]  # fmt: skip


def _bucket(column: str) -> str:
    return f"(floor(extract(epoch from {column}) / {BUCKET_SECONDS}) * {BUCKET_SECONDS})::bigint"


def _registrant_apply(rows: str) -> str:
    """Add the signed rows `rows` (event_id, status, guest_type, company_id,
    n) to the three registrant counts, in one statement."""
    seat = seat_holding_sql()
    return f"""
    WITH d AS ({rows}),
    s AS (
        INSERT INTO {STATUS_COUNTS} AS c (event_id, status, slot, n)
        SELECT event_id, status, my_slot, SUM(n) FROM d
        GROUP BY event_id, status HAVING SUM(n) <> 0 ORDER BY event_id, status
        ON CONFLICT ON CONSTRAINT statuscount_key DO UPDATE SET n = c.n + EXCLUDED.n
    ),
    g AS (
        INSERT INTO {GUEST_TYPE_COUNTS} AS c (event_id, guest_type, slot, n)
        SELECT event_id, guest_type, my_slot, SUM(n) FROM d WHERE status IN ({seat})
        GROUP BY event_id, guest_type HAVING SUM(n) <> 0 ORDER BY event_id, guest_type
        ON CONFLICT ON CONSTRAINT guesttypecount_key DO UPDATE SET n = c.n + EXCLUDED.n
    ),
    cd AS (
        SELECT event_id, company_id, SUM(n) AS delta FROM d WHERE status IN ({seat})
        GROUP BY event_id, company_id HAVING SUM(n) <> 0
    ),
    c AS (
        INSERT INTO {COMPANY_COUNTS} AS c (event_id, company_id, slot, n)
        SELECT event_id, company_id, registrants_company_slot(my_slot), delta FROM cd
        ORDER BY event_id, company_id
        ON CONFLICT ON CONSTRAINT companycount_key DO UPDATE SET n = c.n + EXCLUDED.n
        RETURNING c.event_id, c.company_id, c.slot, c.n
    )
    -- Slot 0's rows that crossed zero (written under slot 0's lock: no
    -- other transaction moves them meanwhile) move the event's tally.
    INSERT INTO {COMPANY_TALLY} AS t (event_id, n)
    SELECT c.event_id, SUM(CASE WHEN c.n > 0 THEN 1 ELSE -1 END) FROM c
    JOIN cd ON cd.event_id = c.event_id AND cd.company_id = c.company_id
    WHERE c.slot = 0 AND c.company_id <> 0 AND (c.n > 0) <> (c.n - cd.delta > 0)
    GROUP BY c.event_id ORDER BY c.event_id
    ON CONFLICT ON CONSTRAINT companytally_key DO UPDATE SET n = t.n + EXCLUDED.n;
    """


def _signed(table: str, sign: int) -> str:
    return (
        f"SELECT event_id, status, guest_type, COALESCE(company_id, 0) AS company_id,"
        f" {sign} AS n FROM {table}"
    )


def registrant_function() -> str:
    return f"""
CREATE OR REPLACE FUNCTION registrants_count_registrants() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    my_slot integer;
BEGIN
    IF TG_OP = 'INSERT' THEN
        my_slot := registrants_counter_slot();
        {_registrant_apply(_signed("new_rows", 1))}
    ELSIF TG_OP = 'DELETE' THEN
        my_slot := registrants_counter_slot();
        {_registrant_apply(_signed("old_rows", -1))}
    ELSIF EXISTS (
        -- Only an update that moves a count takes a slot (not a repeated
        -- scan that matched nothing, nor an edit of a name).
        SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE (o.event_id, o.status, o.guest_type, o.company_id)
              IS DISTINCT FROM (n.event_id, n.status, n.guest_type, n.company_id)
    ) THEN
        my_slot := registrants_counter_slot();
        {_registrant_apply(_signed("old_rows", -1) + " UNION ALL " + _signed("new_rows", 1))}
    END IF;
    RETURN NULL;
END $$;
"""


def _bucket_apply(deltas: str) -> str:
    return f"""
    INSERT INTO {BUCKET_COUNTS} AS c (event_id, kind, bucket, slot, n)
    SELECT event_id, kind, bucket, my_slot, SUM(n) FROM ({deltas}) d
    GROUP BY event_id, kind, bucket HAVING SUM(n) <> 0 ORDER BY event_id, kind, bucket
    ON CONFLICT ON CONSTRAINT bucketcount_key DO UPDATE SET n = c.n + EXCLUDED.n;
    """


# A registrant's arrival is its first check-in (the earliest `at`). New rows
# (`new_rows`) move it when the registrant had none, or only later ones.
_ARRIVALS_ADDED = f"""
    WITH firsts AS (
        SELECT registrant_id, MIN(event_id) AS event_id, MIN(at) AS at FROM new_rows
        WHERE to_status = {CHECKED_IN} GROUP BY registrant_id
    ),
    before AS (
        SELECT h.registrant_id, MIN(h.at) AS at FROM {HISTORY} h
        JOIN firsts f ON f.registrant_id = h.registrant_id
        WHERE h.to_status = {CHECKED_IN} AND h.id NOT IN (SELECT id FROM new_rows)
        GROUP BY h.registrant_id
    ),
    moved AS (
        SELECT f.event_id, f.at, b.at AS was FROM firsts f
        LEFT JOIN before b ON b.registrant_id = f.registrant_id
        WHERE b.at IS NULL OR f.at < b.at
    )
    SELECT event_id, '{ARRIVALS}' AS kind, {_bucket("at")} AS bucket, 1 AS n FROM moved
    UNION ALL
    SELECT event_id, '{ARRIVALS}', {_bucket("was")}, -1 FROM moved WHERE was IS NOT NULL
"""

# Deleted rows (`old_rows`, the purge) move it back to the earliest left.
_ARRIVALS_REMOVED = f"""
    WITH gone AS (
        SELECT registrant_id, MIN(event_id) AS event_id, MIN(at) AS at FROM old_rows
        WHERE to_status = {CHECKED_IN} GROUP BY registrant_id
    ),
    remaining AS (
        SELECT h.registrant_id, MIN(h.at) AS at FROM {HISTORY} h
        JOIN gone g ON g.registrant_id = h.registrant_id
        WHERE h.to_status = {CHECKED_IN} GROUP BY h.registrant_id
    ),
    moved AS (
        SELECT g.event_id, g.at, r.at AS now_at FROM gone g
        LEFT JOIN remaining r ON r.registrant_id = g.registrant_id
        WHERE r.at IS NULL OR g.at < r.at
    )
    SELECT event_id, '{ARRIVALS}' AS kind, {_bucket("at")} AS bucket, -1 AS n FROM moved
    UNION ALL
    SELECT event_id, '{ARRIVALS}', {_bucket("now_at")}, 1 FROM moved WHERE now_at IS NOT NULL
"""


def _doors(table: str, sign: int) -> str:
    return (
        f"SELECT event_id, '{ENTRIES}', {_bucket('at')}, {sign} FROM {table}"
        f" WHERE to_status = {ENTERED}"
        f" UNION ALL SELECT event_id, '{EXITS}', {_bucket('at')}, {sign} FROM {table}"
        f" WHERE from_status = {ENTERED}"
    )


def history_function() -> str:
    added = f"SELECT * FROM ({_ARRIVALS_ADDED}) a UNION ALL {_doors('new_rows', 1)}"
    removed = f"SELECT * FROM ({_ARRIVALS_REMOVED}) a UNION ALL {_doors('old_rows', -1)}"
    return f"""
CREATE OR REPLACE FUNCTION registrants_count_history() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    my_slot integer;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT 1 FROM new_rows WHERE to_status IN ({CHECKED_IN}, {ENTERED})
                       OR from_status = {ENTERED}) THEN
            RETURN NULL;  -- an import's creation rows: no figure moves
        END IF;
        my_slot := registrants_counter_slot();
        {_bucket_apply(added)}
    ELSE
        my_slot := registrants_counter_slot();
        {_bucket_apply(removed)}
    END IF;
    RETURN NULL;
END $$;
"""


_TRIGGERS = [
    ("registrants_count_ins", REGISTRANTS, "INSERT", "NEW TABLE AS new_rows", "registrants"),
    ("registrants_count_upd", REGISTRANTS, "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
     "registrants"),
    ("registrants_count_del", REGISTRANTS, "DELETE", "OLD TABLE AS old_rows", "registrants"),
    ("registrants_count_hist_ins", HISTORY, "INSERT", "NEW TABLE AS new_rows", "history"),
    ("registrants_count_hist_del", HISTORY, "DELETE", "OLD TABLE AS old_rows", "history"),
]  # fmt: skip

UNINSTALL = [
    *(f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table, *_ in _TRIGGERS),
    "DROP FUNCTION IF EXISTS registrants_count_registrants()",
    "DROP FUNCTION IF EXISTS registrants_count_history()",
    "DROP FUNCTION IF EXISTS registrants_counter_slot()",
    "DROP FUNCTION IF EXISTS registrants_company_slot(integer)",
]


def install_sql() -> list[str]:
    """The statements that (re)create the functions and the triggers."""
    return [
        *TABLE_SETTINGS,
        SLOT_FUNCTION,
        COMPANY_SLOT_FUNCTION,
        registrant_function(),
        history_function(),
        *(f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table, *_ in _TRIGGERS),
        *(
            f"CREATE TRIGGER {name} AFTER {op} ON {table} REFERENCING {refs}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION registrants_count_{what}()"
            for name, table, op, refs, what in _TRIGGERS
        ),
    ]
