"""The gateway on PostgreSQL: psycopg's async pool, one statement per scan.

A scan that changes something is ONE statement generated from the lifecycle
(registrants.sql.scans); scans without a nonce go in groups
(gateway.grouping). See docs/decisions/0007, 0133 and 0030.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from django.conf import settings
from django.db import connections

from registrants.sql import receipts as receipt_sql
from registrants.sql.scans import PG_BATCH_HISTORY, PG_BATCH_STATUS, pg_group_sql, pg_scan_sql

from .. import conflicts, live, receipts, rows
from .. import scan as rules
from ..grouping import Pending, ScanGroups, changed_outcome, group_params
from ..outage import OutageAwarePool
from ..scan import BatchItem, Change, Outcome, Principal
from ..tasks import track
from .base import NonceTaken, Unkept

logger = logging.getLogger(__name__)


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
            "options": s.get("OPTIONS", {}).get("options"),  # jit=off, as Django's
        }
        return make_conninfo(**{k: v for k, v in params.items() if v})

    async def pool(self):
        """This event loop's pool, opened on first use."""
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
                ids, froms, tos = changed[6], changed[7], changed[8]
                changes = [Change(i, f, t, now) for i, f, t in zip(ids, froms, tos, strict=True)]
                return Outcome("changed", row=rows.row(changed), mode=mode, changes=changes)
            outcome = await self._unchanged(conn, code, mode, principal)
            if outcome is not None:
                return outcome
            # The status moved between the two statements to one this mode
            # changes (e.g. an exit scan landed meanwhile): try again.
        raise RuntimeError("scan kept racing; giving up")

    async def _unchanged(self, conn, code: str, mode: str, principal: Principal) -> Outcome | None:
        """Why a scan changed nothing, from the row as it is now; None if the
        row now is in a status this mode changes (it moved meanwhile)."""
        cur = await conn.execute(rows.ROW_AND_PREVIOUS, (code,))
        outcome, _ = rows.outcome_from_lookup(mode, await cur.fetchone(), principal)
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
        """Backend.scan; a scan without nonce joins the next group."""
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
                        receipt_sql.PG_CLAIM, (principal.user_id, nonce, fingerprint, now)
                    )
                    claimed = await cur.fetchone()
                    if claimed is None:
                        cur = await conn.execute(receipt_sql.STORED, (principal.user_id, nonce))
                        status, body, stored = await cur.fetchone()
                        return (*receipts.replay(status, body, stored, fingerprint), None)
                    outcome = await self._scan_on(conn, code, mode, principal, now)
                    status, body = rules.answer(outcome)
                    if outcome.kind == "wrong_event":
                        raise Unkept(status, body)
                    await conn.execute(receipt_sql.ANSWER, (status, Jsonb(body), claimed[0]))
            except Unkept as unkept:
                return unkept.http_status, unkept.body, None
            return status, body, outcome

    async def batch(self, items: list[BatchItem], principal: Principal, now):
        """Backend.batch.

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
            except NonceTaken:
                logger.info("batch lost a race on a nonce; answering again")
                continue
        raise RuntimeError("batch kept racing on the same nonces; giving up")

    async def _batch_on(self, conn, items, fresh_items, principal: Principal, now):
        cur = await conn.execute(
            receipt_sql.PG_BATCH_STORED, ([i.nonce for i in fresh_items], principal.user_id)
        )
        stored = {n: (f, receipts.stored_json(r)) for n, f, r in await cur.fetchall()}
        todo = [i for i in fresh_items if i.nonce not in stored]
        plan = None
        messages: list[dict] = []
        if todo:
            cur = await conn.execute(rows.PG_BATCH_ROWS, (sorted({i.code for i in todo}),))
            found = {v[8]: rows.read_row(v) for v in await cur.fetchall()}
            plan = rules.plan_batch(rows.in_scan_order(todo), found, principal)
            written: list = []
            if plan.history:
                cur = await conn.execute(
                    PG_BATCH_HISTORY,
                    (now, principal.user_id, *map(list, zip(*plan.history, strict=True))),
                )
                written = [(i, r, f, t, now) for i, r, f, t in await cur.fetchall()]
                ids = list(plan.final_status)
                await conn.execute(PG_BATCH_STATUS, (now, ids, [plan.final_status[i] for i in ids]))
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
                await conn.execute(
                    conflicts.PG_INSERT, conflicts.pg_insert_params(plan, principal, now)
                )
            cur = await conn.execute(
                receipt_sql.PG_BATCH_ANSWERS,
                (
                    principal.user_id,
                    now,
                    [i.nonce for i in todo],
                    [receipts.fingerprint(i.code, i.mode, principal) for i in todo],
                    json.dumps([plan.results[i.index] for i in todo]),
                ),
            )
            if len(await cur.fetchall()) < len(todo):
                raise NonceTaken
            messages = rules.batch_live_messages(plan, written, principal.name)
        return receipts.results_of_batch(items, stored, todo, plan, principal), messages
