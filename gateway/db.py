# ruff: noqa: S608  (table names come from the models' _meta, never from input)
"""The gateway's database access: PostgreSQL with an async pool, or SQLite.

PostgreSQL: a scan that changes something is ONE statement generated from
registrants.lifecycle (pg_scan_sql); scans without a nonce go in groups
(gateway.grouping). SQLite: the same reads and writes in one IMMEDIATE
transaction on one thread. Every unit of work runs as its own shielded task,
so a cancelled request cannot cut a transaction. See docs/decisions/0007,
0133 and 0030.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import lru_cache
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections, transaction

from registrants.models import Company, Event, Registrant, ScanReceipt, StatusChange
from registrants.presenters import person_name

from . import conflicts, live, receipts
from . import scan as rules
from .grouping import Pending, ScanGroups, changed_outcome, group_params, pg_group_sql
from .models import ScanConflict
from .outage import OutageAwarePool
from .scan import BatchItem, Change, Outcome, Previous, Principal, Row

logger = logging.getLogger(__name__)
T = TypeVar("T")

R = Registrant._meta.db_table
C = Company._meta.db_table
E = Event._meta.db_table
H = StatusChange._meta.db_table
U = get_user_model()._meta.db_table
RC = ScanReceipt._meta.db_table
SC = ScanConflict._meta.db_table

# --- Running work so that cancellation cannot cut it ---------------------------------

_running: set[asyncio.Task] = set()


def track(task: asyncio.Task) -> None:
    """Keep `task` in the set that drain() waits for."""
    _running.add(task)
    task.add_done_callback(_running.discard)


async def shielded(work: Callable[[], Awaitable[T]]) -> T:
    """Run `work()` as a task that finishes even if the caller is cancelled."""
    task = asyncio.ensure_future(work())
    track(task)
    return await asyncio.shield(task)


async def drain() -> None:
    """Wait for shielded work still running (tests; shutdown)."""
    while _running:
        await asyncio.gather(*list(_running), return_exceptions=True)


_django_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gateway-django")


async def in_django_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run sync Django code (ORM, SQLite) in the gateway's one Django thread."""
    return await asyncio.get_running_loop().run_in_executor(_django_thread, fn, *args)


def _close_django_connections() -> None:
    connections.close_all()


# --- SQL ----------------------------------------------------------------------------

ROW_COLUMNS = "r.id, r.event_id, r.name, r.guest_type, c.name, r.status, e.name, e.time_zone"
# The joins ROW_COLUMNS needs (the event's name, for a wrong_event refusal;
# its time zone, for a repeat's time).
ROW_JOINS = f"LEFT JOIN {C} c ON c.id = r.company_id JOIN {E} e ON e.id = r.event_id"

# The hot path: one statement per mode. The row is locked only when its
# status is one the mode changes, and PostgreSQL re-checks that status after
# waiting for a concurrent writer's lock, so fifty simultaneous scans change
# it once. {plan} and {from_statuses} come from lifecycle (pg_scan_sql).
PG_SCAN_TEMPLATE = f"""
WITH plan AS (
    SELECT * FROM (VALUES {{plan}}) AS p(from_status, step_no, step_from, step_to, final)
),
target AS (
    SELECT r.id, r.status AS old_status FROM {R} r
    WHERE r.check_in_code = %(code)s AND r.status IN ({{from_statuses}})
      AND (%(event)s::bigint IS NULL OR r.event_id = %(event)s::bigint)
    FOR UPDATE
),
upd AS (
    UPDATE {R} r
    SET status = (SELECT p.final FROM plan p WHERE p.from_status = t.old_status LIMIT 1),
        updated_at = %(now)s
    FROM target t WHERE r.id = t.id
    RETURNING r.id, r.event_id, r.name, r.guest_type, r.company_id, r.status, t.old_status
),
ins AS (
    INSERT INTO {H} (registrant_id, event_id, from_status, to_status, at, actor_id, source,
                     note, scanned_at)
    SELECT u.id, u.event_id, p.step_from, p.step_to, %(now)s, %(actor)s, 'scan', '', NULL
    FROM upd u JOIN plan p ON p.from_status = u.old_status
    ORDER BY p.step_no
    RETURNING id, from_status, to_status
)
SELECT u.id, u.event_id, u.name, u.guest_type, c.name, u.status,
       (SELECT array_agg(i.id ORDER BY i.id) FROM ins i),
       (SELECT array_agg(i.from_status ORDER BY i.id) FROM ins i),
       (SELECT array_agg(i.to_status ORDER BY i.id) FROM ins i)
FROM upd u LEFT JOIN {C} c ON c.id = u.company_id
"""


@lru_cache(maxsize=8)
def pg_scan_sql(mode: str) -> str:
    """PG_SCAN_TEMPLATE for `mode`, its plan (lifecycle.scan_from_statuses
    via scan.sql_plan) written in as literals."""
    values = ", ".join(rules.sql_plan_values(mode))
    statuses = ", ".join(rules.sql_literal(s) for s in rules.sql_plan(mode)["from_statuses"])
    return PG_SCAN_TEMPLATE.replace("{plan}", values).replace("{from_statuses}", statuses)


# Who the code belongs to now, and the newest history row to their status
# (for "already checked in by Sam at 18:42").
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


def _row(values) -> Row:
    return Row(
        id=values[0],
        event_id=values[1],
        name=values[2],
        guest_type=values[3],
        company=values[4],
        status=values[5],
    )


def _read_row(values) -> Row:
    """A row read with ROW_COLUMNS (the event's name and time zone included)."""
    return replace(_row(values), event_name=values[6], event_time_zone=values[7])


def _previous(values) -> Previous | None:
    at, actor_id, first, last, username = values[8:13]
    if at is None:
        return None
    if isinstance(at, str):
        at = dt.datetime.fromisoformat(at)
    by = person_name(first, last, username) if actor_id else None
    return Previous(at=rules.utc(at), by=by)


def _outcome_from_lookup(mode: str, values, principal: Principal) -> tuple[Outcome, tuple]:
    """A scan that changed nothing: why (from the row as it is now)."""
    row = _read_row(values) if values else None
    kind, steps = rules.decide(mode, row, principal)
    previous = _previous(values) if kind == "repeat" else None
    return Outcome(kind, row=row, mode=mode, previous=previous), steps


# --- PostgreSQL -----------------------------------------------------------------------


class PostgresBackend:
    vendor = "postgresql"

    def __init__(self) -> None:
        self._pool: OutageAwarePool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._groups: ScanGroups | None = None
        # Connections the group statements keep between groups (one per
        # group in flight): checking one out of the pool and back for every
        # group of about four scans cost ~25 us of the event loop's CPU.
        self._held: list = []

    def _conninfo(self) -> str:
        from psycopg.conninfo import make_conninfo

        s = connections["default"].settings_dict
        params = {
            "dbname": s["NAME"],
            "user": s.get("USER") or None,
            "password": s.get("PASSWORD") or None,
            "host": s.get("HOST") or None,
            "port": str(s["PORT"]) if s.get("PORT") else None,
            "connect_timeout": str(s.get("OPTIONS", {}).get("connect_timeout", 5)),
            "application_name": "gateway",
        }
        return make_conninfo(**{k: v for k, v in params.items() if v})

    async def pool(self):
        loop = asyncio.get_running_loop()
        if self._pool is None or self._loop is not loop:
            # psycopg's pool, with dead connections caught before use and a
            # fast 503 while the database is away (gateway.outage).
            pool = OutageAwarePool(
                self._conninfo(),
                min_size=settings.GATEWAY_DB_POOL_MIN,
                max_size=settings.GATEWAY_DB_POOL_MAX,
                kwargs={"autocommit": True},
                timeout=settings.GATEWAY_DB_POOL_TIMEOUT,
                open=False,
                name="gateway",
            )
            await pool.open(wait=False)
            self._pool, self._loop, self._held = pool, loop, []
            self._groups = ScanGroups(
                self._apply_group,
                max_in_flight=settings.GATEWAY_SCAN_GROUPS_IN_FLIGHT,
                max_group=settings.GATEWAY_SCAN_GROUP_MAX,
                track=track,
            )
        return self._pool

    async def close(self) -> None:
        pool, self._pool, self._loop = self._pool, None, None
        held, self._held = self._held, []
        if pool is not None:
            for conn in held:
                await pool.putconn(conn)
            await pool.close()

    async def fetch_one(self, sql: str, params: Any) -> tuple | None:
        """The first row of a read-only statement, on the pool (autocommit)."""
        pool = await self.pool()
        async with pool.connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchone()

    async def _scan_on(self, conn, code: str, mode: str, principal: Principal, now) -> Outcome:
        params = {"code": code, "event": principal.event_id, "now": now, "actor": principal.user_id}
        sql = pg_scan_sql(mode)
        for _ in range(5):
            cur = await conn.execute(sql, params)
            changed = await cur.fetchone()
            if changed is not None:
                row = _row(changed)
                ids, froms, tos = changed[6], changed[7], changed[8]
                changes = [Change(i, f, t, now) for i, f, t in zip(ids, froms, tos, strict=True)]
                return Outcome("changed", row=row, mode=mode, changes=changes)
            outcome = await self._unchanged(conn, code, mode, principal)
            if outcome is not None:
                return outcome
            # The status moved between the two statements to one this mode
            # changes (e.g. an exit scan landed meanwhile): try again.
        raise RuntimeError("scan kept racing; giving up")

    async def _unchanged(self, conn, code: str, mode: str, principal: Principal) -> Outcome | None:
        """Why a scan changed nothing, from the row as it is now; None if the
        row now is in a status this mode changes (it moved meanwhile)."""
        cur = await conn.execute(ROW_AND_PREVIOUS, (code,))
        outcome, _ = _outcome_from_lookup(mode, await cur.fetchone(), principal)
        return None if outcome.kind == "changed" else outcome

    async def _apply_group(self, scans: list[Pending]) -> list[Outcome]:
        """Scans without nonce, as one statement (gateway.grouping); then each
        scan it did not change is answered as a lone scan would be."""
        pool = await self.pool()
        conn = await pool.take(self._held)
        try:
            cur = conn.cursor()
            await cur.execute(pg_group_sql(), group_params(scans), prepare=True)
            changed = {values[0]: values for values in await cur.fetchall()}
            outcomes = []
            for n, scan in enumerate(scans, start=1):
                if n in changed:
                    outcomes.append(changed_outcome(scan, changed[n]))
                    continue
                outcome = await self._unchanged(conn, scan.code, scan.mode, scan.principal)
                if outcome is None:
                    outcome = await self._scan_on(
                        conn, scan.code, scan.mode, scan.principal, scan.now
                    )
                outcomes.append(outcome)
        except BaseException as exc:
            import psycopg

            # Back to the pool, which discards a broken connection. If the
            # database dropped it, it dropped the pool's idle ones too: have
            # the pool test those now, so that the next scan gets a live one
            # instead of failing on the next dead one in turn.
            await pool.putconn(conn)
            if isinstance(exc, psycopg.OperationalError):
                await pool.check()
            raise
        if self._pool is pool:
            self._held.append(conn)
        else:  # closed meanwhile (shutdown)
            await pool.putconn(conn)
        for scan, outcome in zip(scans, outcomes, strict=True):
            live.publish(rules.live_message(outcome, scan.principal.name))
        return outcomes

    async def submit(self, code: str, mode: str, principal: Principal, now) -> asyncio.Future:
        """Queue a scan without nonce for the next group; the future gets its
        Outcome, already published to the live dashboards."""
        await self.pool()
        assert self._groups is not None
        return self._groups.submit(Pending(code, mode, principal, now))

    async def scan(self, code: str, mode: str, principal: Principal, nonce: str | None, now):
        """(http status, body, outcome to publish): the outcome is None when
        there is nothing left to publish (a replayed nonce; a scan without
        nonce, which its group published)."""
        if not nonce:
            outcome = await (await self.submit(code, mode, principal, now))
            return (*rules.answer(outcome), None)
        pool = await self.pool()
        fingerprint = receipts.fingerprint(code, mode, principal)
        async with pool.connection() as conn:
            from psycopg.types.json import Jsonb

            try:
                async with conn.transaction():
                    cur = await conn.execute(
                        f"INSERT INTO {RC} (user_id, nonce, fingerprint, http_status, response, "
                        "created_at) VALUES (%s, %s, %s, 200, '{}'::jsonb, %s) "
                        "ON CONFLICT (user_id, nonce) DO NOTHING RETURNING id",
                        (principal.user_id, nonce, fingerprint, now),
                    )
                    claimed = await cur.fetchone()
                    if claimed is None:
                        cur = await conn.execute(
                            f"SELECT http_status, response, fingerprint FROM {RC} "
                            "WHERE user_id = %s AND nonce = %s",
                            (principal.user_id, nonce),
                        )
                        status, body, stored = await cur.fetchone()
                        return (*receipts.replay(status, body, stored, fingerprint), None)
                    outcome = await self._scan_on(conn, code, mode, principal, now)
                    status, body = rules.answer(outcome)
                    if outcome.kind == "wrong_event":
                        raise _Unkept(status, body)
                    await conn.execute(
                        f"UPDATE {RC} SET http_status = %s, response = %s WHERE id = %s",
                        (status, Jsonb(body), claimed[0]),
                    )
            except _Unkept as unkept:
                return unkept.http_status, unkept.body, None
            return status, body, outcome

    async def batch(self, items: list[BatchItem], principal: Principal, now):
        """Apply a batch in one transaction: (results by index, live messages).

        Each nonce's receipt is written once, with its answer, at the end of
        the transaction (writing a claim first and its answer after cost a
        second write of every receipt). A concurrent request carrying some
        of the same nonces is caught there: its receipts conflict, the whole
        transaction rolls back, and the retry answers those items as
        replays. Row locks (FOR UPDATE) keep the history right meanwhile."""
        fresh_items = receipts.first_per_nonce(items)
        pool = await self.pool()
        for _ in range(5):
            try:
                async with pool.connection() as conn, conn.transaction():
                    return await self._batch_on(conn, items, fresh_items, principal, now)
            except _NonceTaken:
                logger.info("batch lost a race on a nonce; answering again")
                continue
        raise RuntimeError("batch kept racing on the same nonces; giving up")

    async def _batch_on(self, conn, items, fresh_items, principal: Principal, now):
        # A join, so that each nonce is one probe of the (user, nonce) index
        # whatever the planner thinks of a 500-element ANY().
        cur = await conn.execute(
            f"SELECT n.nonce, rc.fingerprint, rc.response FROM unnest(%s::text[]) AS n(nonce) "
            f"JOIN {RC} rc ON rc.user_id = %s::integer AND rc.nonce = n.nonce",
            ([i.nonce for i in fresh_items], principal.user_id),
        )
        stored = {n: (f, receipts.stored_json(r)) for n, f, r in await cur.fetchall()}
        todo = [i for i in fresh_items if i.nonce not in stored]
        plan = None
        messages: list[dict] = []
        if todo:
            cur = await conn.execute(
                f"SELECT {ROW_COLUMNS}, r.check_in_code FROM {R} r {ROW_JOINS} "
                "WHERE r.check_in_code = ANY(%s::text[]) ORDER BY r.id FOR UPDATE OF r",
                (sorted({i.code for i in todo}),),
            )
            rows = {v[8]: _read_row(v) for v in await cur.fetchall()}
            plan = rules.plan_batch(_in_scan_order(todo), rows, principal)
            written: list = []
            if plan.history:
                cur = await conn.execute(
                    f"INSERT INTO {H} (registrant_id, event_id, from_status, to_status, at, "
                    "actor_id, source, note, scanned_at) "
                    "SELECT v.r, v.e, v.f, v.t, %s, %s, 'scan', '', v.d "
                    "FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[], "
                    "%s::timestamptz[]) WITH ORDINALITY AS v(r, e, f, t, d, n) ORDER BY v.n "
                    "RETURNING id, registrant_id, from_status, to_status",
                    (now, principal.user_id, *map(list, zip(*plan.history, strict=True))),
                )
                written = [(i, r, f, t, now) for i, r, f, t in await cur.fetchall()]
                ids = list(plan.final_status)
                await conn.execute(
                    f"UPDATE {R} r SET status = v.s, updated_at = %s "
                    "FROM unnest(%s::bigint[], %s::text[]) AS v(id, s) WHERE r.id = v.id",
                    (now, ids, [plan.final_status[i] for i in ids]),
                )
            if plan.conflicts:
                # One scanner's batches count and add their conflicts one at
                # a time, so that concurrent ones cannot both pass the cap.
                await conn.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)",
                    (conflicts.ADVISORY_NAMESPACE, principal.user_id),
                )
                cur = await conn.execute(conflicts.OPEN, (principal.user_id, principal.event_id))
                conflicts.cap(plan, (await cur.fetchone())[0], conflicts.open_limit())
            if plan.conflicts:
                cols = [
                    "event_id",
                    "registrant_id",
                    "code",
                    "mode",
                    "reason",
                    "status",
                    "nonce",
                    "scanned_at",
                ]
                await conn.execute(
                    f"INSERT INTO {SC} ({', '.join(cols)}, device_id, actor_id, received_at) "
                    "SELECT v.*, %s, %s, %s FROM unnest(%s::bigint[], %s::bigint[], "
                    "%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], "
                    "%s::timestamptz[]) AS v",
                    (
                        principal.device_id,
                        principal.user_id,
                        now,
                        *[[c[k] for c in plan.conflicts] for k in cols],
                    ),
                )
            # One JSON document for all the answers: one dump, not one per item.
            cur = await conn.execute(
                f"INSERT INTO {RC} (user_id, nonce, fingerprint, http_status, response, "
                "created_at) SELECT %s, n.nonce, n.fp, 200, b.body, %s "
                "FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS n(nonce, fp, i) "
                "JOIN jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS b(body, i) USING (i) "
                "ON CONFLICT (user_id, nonce) DO NOTHING RETURNING nonce",
                (
                    principal.user_id,
                    now,
                    [i.nonce for i in todo],
                    [receipts.fingerprint(i.code, i.mode, principal) for i in todo],
                    json.dumps([plan.results[i.index] for i in todo]),
                ),
            )
            if len(await cur.fetchall()) < len(todo):
                raise _NonceTaken
            messages = rules.batch_live_messages(plan, written, principal.name)
        return receipts.results_of_batch(items, stored, todo, plan, principal), messages


class _Unkept(Exception):  # noqa: N818 (a signal, not an error)
    """A scan answer that must leave no receipt (wrong_event): roll back the
    receipt's claim and answer it."""

    def __init__(self, http_status: int, body: dict[str, Any]) -> None:
        self.http_status, self.body = http_status, body


class _NonceTaken(Exception):
    """Another request stored a receipt for one of this batch's nonces
    while this one ran: roll back and answer those items as replays."""


def _in_scan_order(items: list[BatchItem]) -> list[BatchItem]:
    return sorted(items, key=lambda i: (i.scanned_at, i.index))


# --- SQLite ------------------------------------------------------------------------------


class SqliteBackend:
    """The same operations, synchronous, in the gateway's Django thread."""

    vendor = "sqlite"

    async def close(self) -> None:
        await in_django_thread(_close_django_connections)

    async def scan(self, code: str, mode: str, principal: Principal, nonce: str | None, now):
        return await in_django_thread(self._scan, code, mode, principal, nonce, now)

    async def batch(self, items: list[BatchItem], principal: Principal, now):
        return await in_django_thread(self._batch, items, principal, now)

    @staticmethod
    def _ts(value: dt.datetime) -> str | dt.datetime | None:
        # Text on SQLite; PostgreSQL's backend hands the datetime through.
        return connections["default"].ops.adapt_datetimefield_value(value)

    def _scan_on(self, cur, code, mode, principal: Principal, now) -> Outcome:
        cur.execute(ROW_AND_PREVIOUS, [code])
        outcome, steps = _outcome_from_lookup(mode, cur.fetchone(), principal)
        if outcome.kind != "changed":
            return outcome
        row = outcome.row
        assert row is not None
        changes = self._write_steps(cur, row, steps, principal.user_id, now, None)
        return Outcome("changed", row=replace(row, status=steps[-1]), mode=mode, changes=changes)

    def _write_steps(self, cur, row: Row, steps, actor_id, now, scanned_at) -> list[Change]:
        changes, status = [], row.status
        for step in steps:
            cur.execute(
                f"INSERT INTO {H} (registrant_id, event_id, from_status, to_status, at, actor_id, "
                "source, note, scanned_at) VALUES (%s, %s, %s, %s, %s, %s, 'scan', '', %s) "
                "RETURNING id",
                [
                    row.id,
                    row.event_id,
                    status,
                    step,
                    self._ts(now),
                    actor_id,
                    self._ts(scanned_at) if scanned_at else None,
                ],
            )
            changes.append(Change(cur.fetchone()[0], status, step, now))
            status = step
        cur.execute(
            f"UPDATE {R} SET status = %s, updated_at = %s WHERE id = %s",
            [status, self._ts(now), row.id],
        )
        return changes

    def _scan(self, code, mode, principal: Principal, nonce, now):
        try:
            return self._scan_in_transaction(code, mode, principal, nonce, now)
        except _Unkept as unkept:
            return unkept.http_status, unkept.body, None

    def _scan_in_transaction(self, code, mode, principal: Principal, nonce, now):
        fingerprint = receipts.fingerprint(code, mode, principal)
        with transaction.atomic(), connections["default"].cursor() as cur:  # BEGIN IMMEDIATE
            claimed = None
            if nonce:
                cur.execute(
                    f"INSERT INTO {RC} (user_id, nonce, fingerprint, http_status, response, "
                    "created_at) VALUES (%s, %s, %s, 200, '{}', %s) "
                    "ON CONFLICT (user_id, nonce) DO NOTHING RETURNING id",
                    [principal.user_id, nonce, fingerprint, self._ts(now)],
                )
                claimed = cur.fetchone()
                if claimed is None:
                    cur.execute(
                        f"SELECT http_status, response, fingerprint FROM {RC} "
                        "WHERE user_id = %s AND nonce = %s",
                        [principal.user_id, nonce],
                    )
                    status, body, stored = cur.fetchone()
                    return (*receipts.replay(status, body, stored, fingerprint), None)
            outcome = self._scan_on(cur, code, mode, principal, now)
            status, body = rules.answer(outcome)
            if claimed and outcome.kind == "wrong_event":
                raise _Unkept(status, body)
            if claimed:
                cur.execute(
                    f"UPDATE {RC} SET http_status = %s, response = %s WHERE id = %s",
                    [status, json.dumps(body), claimed[0]],
                )
        return status, body, outcome

    def _batch(self, items: list[BatchItem], principal: Principal, now):
        fresh_items = receipts.first_per_nonce(items)
        plan, todo, stored, messages = None, [], {}, []
        with transaction.atomic(), connections["default"].cursor() as cur:
            for item in fresh_items:
                cur.execute(
                    f"INSERT INTO {RC} (user_id, nonce, fingerprint, http_status, response, "
                    "created_at) VALUES (%s, %s, %s, 200, '{}', %s) "
                    "ON CONFLICT (user_id, nonce) DO NOTHING RETURNING id",
                    [
                        principal.user_id,
                        item.nonce,
                        receipts.fingerprint(item.code, item.mode, principal),
                        self._ts(now),
                    ],
                )
                if cur.fetchone() is not None:
                    todo.append(item)
                else:
                    cur.execute(
                        f"SELECT fingerprint, response FROM {RC} WHERE user_id = %s AND nonce = %s",
                        [principal.user_id, item.nonce],
                    )
                    fingerprint, body = cur.fetchone()
                    stored[item.nonce] = (fingerprint, receipts.stored_json(body))
            if todo:
                rows = {}
                for code in sorted({i.code for i in todo}):
                    cur.execute(ROW_BY_CODE, [code])
                    values = cur.fetchone()
                    if values:
                        rows[code] = _read_row(values)
                plan = rules.plan_batch(_in_scan_order(todo), rows, principal)
                written = []
                for registrant_id, event_id, frm, to, scanned_at in plan.history:
                    cur.execute(
                        f"INSERT INTO {H} (registrant_id, event_id, from_status, to_status, at, "
                        "actor_id, source, note, scanned_at) "
                        "VALUES (%s, %s, %s, %s, %s, %s, 'scan', '', %s) RETURNING id",
                        [
                            registrant_id,
                            event_id,
                            frm,
                            to,
                            self._ts(now),
                            principal.user_id,
                            self._ts(scanned_at),
                        ],
                    )
                    written.append((cur.fetchone()[0], registrant_id, frm, to, now))
                cur.executemany(
                    f"UPDATE {R} SET status = %s, updated_at = %s WHERE id = %s",
                    [(s, self._ts(now), i) for i, s in plan.final_status.items()],
                )
                if plan.conflicts:  # one writer at a time: no race on the count
                    cur.execute(conflicts.OPEN, [principal.user_id, principal.event_id])
                    conflicts.cap(plan, cur.fetchone()[0], conflicts.open_limit())
                cur.executemany(
                    f"INSERT INTO {SC} (event_id, registrant_id, code, mode, reason, status, "
                    "nonce, scanned_at, device_id, actor_id, received_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [
                        (
                            c["event_id"],
                            c["registrant_id"],
                            c["code"],
                            c["mode"],
                            c["reason"],
                            c["status"],
                            c["nonce"],
                            self._ts(c["scanned_at"]),
                            principal.device_id,
                            principal.user_id,
                            self._ts(now),
                        )
                        for c in plan.conflicts
                    ],
                )
                cur.executemany(
                    f"UPDATE {RC} SET response = %s WHERE user_id = %s AND nonce = %s",
                    [(json.dumps(plan.results[i.index]), principal.user_id, i.nonce) for i in todo],
                )
                messages = rules.batch_live_messages(plan, written, principal.name)
        return receipts.results_of_batch(items, stored, todo, plan, principal), messages


_backend: PostgresBackend | SqliteBackend | None = None


def backend() -> PostgresBackend | SqliteBackend:
    """The backend for the default database's engine. Read from the settings,
    not from connections["default"]: under ASGI each request runs in its own
    context, where that builds a new DatabaseWrapper (~0.05 ms per scan)."""
    global _backend
    vendor = "postgresql" if "postgresql" in connections.settings["default"]["ENGINE"] else "sqlite"
    if _backend is None or _backend.vendor != vendor:
        _backend = PostgresBackend() if vendor == "postgresql" else SqliteBackend()
    return _backend


async def scan_and_publish(
    code: str, mode: str, principal: Principal, nonce: str | None, now
) -> tuple[int, dict[str, Any]]:
    """Apply one scan and publish its live message after commit: (http
    status, body). Cancelling the caller cuts neither. A scan without nonce
    on PostgreSQL joins a group, which runs as its own task and publishes
    its changes itself: the caller only awaits a future (no task of its own
    per scan; cancelling the caller cancels only that future)."""
    current = backend()
    if isinstance(current, PostgresBackend) and not nonce:
        outcome = await (await current.submit(code, mode, principal, now))
        return rules.answer(outcome)

    async def work():
        status, body, outcome = await current.scan(code, mode, principal, nonce, now)
        if outcome is not None:
            live.publish(rules.live_message(outcome, principal.name))
        return status, body

    return await shielded(work)


async def close() -> None:
    """Close the pool and the Django thread's connections (lifespan shutdown)."""
    await drain()
    if _backend is not None:
        await _backend.close()
    await in_django_thread(_close_django_connections)
