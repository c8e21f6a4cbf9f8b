"""The gateway on SQLite: the same reads and writes as on PostgreSQL, in one
IMMEDIATE transaction on the gateway's Django thread (docs/decisions/0007)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

from django.db import connections, transaction

from registrants.sql import receipts as receipt_sql
from registrants.sql.history import STATUS_UPDATE
from registrants.sql.scans import SQLITE_SCAN_HISTORY

from .. import conflicts, receipts, rows
from .. import scan as rules
from ..scan import BatchItem, Change, Outcome, Principal, Row
from ..tasks import close_django_connections, in_django_thread
from .base import Unkept


def _ts(value: dt.datetime) -> str | dt.datetime | None:
    # Text on SQLite, as Django stores it.
    return connections["default"].ops.adapt_datetimefield_value(value)


class SqliteBackend:
    """The same operations, synchronous, in the gateway's Django thread."""

    vendor = "sqlite"

    async def close(self) -> None:
        await in_django_thread(close_django_connections)

    async def scan(self, code: str, mode: str, principal: Principal, nonce: str | None, now):
        """Backend.scan."""
        return await in_django_thread(self._scan, code, mode, principal, nonce, now)

    async def batch(self, items: list[BatchItem], principal: Principal, now):
        """Backend.batch."""
        return await in_django_thread(self._batch, items, principal, now)

    def _scan_on(self, cur, code, mode, principal: Principal, now) -> Outcome:
        cur.execute(rows.ROW_AND_PREVIOUS, [code])
        outcome, steps = rows.outcome_from_lookup(mode, cur.fetchone(), principal)
        if outcome.kind != "changed":
            return outcome
        row = outcome.row
        assert row is not None
        changes = self._write_steps(cur, row, steps, principal.user_id, now)
        return Outcome("changed", row=replace(row, status=steps[-1]), mode=mode, changes=changes)

    @staticmethod
    def _write_steps(cur, row: Row, steps, actor_id, now) -> list[Change]:
        changes, status = [], row.status
        for step in steps:
            cur.execute(
                SQLITE_SCAN_HISTORY,
                [row.id, row.event_id, status, step, _ts(now), actor_id, None],
            )
            changes.append(Change(cur.fetchone()[0], status, step, now))
            status = step
        cur.execute(STATUS_UPDATE, [status, _ts(now), row.id])
        return changes

    def _scan(self, code, mode, principal: Principal, nonce, now):
        try:
            return self._scan_in_transaction(code, mode, principal, nonce, now)
        except Unkept as unkept:
            return unkept.http_status, unkept.body, None

    def _scan_in_transaction(self, code, mode, principal: Principal, nonce, now):
        fingerprint = receipts.fingerprint(code, mode, principal)
        with transaction.atomic(), connections["default"].cursor() as cur:  # BEGIN IMMEDIATE
            claimed = None
            if nonce:
                cur.execute(
                    receipt_sql.SQLITE_CLAIM, [principal.user_id, nonce, fingerprint, _ts(now)]
                )
                claimed = cur.fetchone()
                if claimed is None:
                    cur.execute(receipt_sql.STORED, [principal.user_id, nonce])
                    status, body, stored = cur.fetchone()
                    return (*receipts.replay(status, body, stored, fingerprint), None)
            outcome = self._scan_on(cur, code, mode, principal, now)
            status, body = rules.answer(outcome)
            if claimed and outcome.kind == "wrong_event":
                raise Unkept(status, body)
            if claimed:
                cur.execute(receipt_sql.ANSWER, [status, json.dumps(body), claimed[0]])
        return status, body, outcome

    def _batch(self, items: list[BatchItem], principal: Principal, now):
        fresh_items = receipts.first_per_nonce(items)
        plan, todo, stored, messages = None, [], {}, []
        with transaction.atomic(), connections["default"].cursor() as cur:
            for item in fresh_items:
                fingerprint = receipts.fingerprint(item.code, item.mode, principal)
                cur.execute(
                    receipt_sql.SQLITE_CLAIM,
                    [principal.user_id, item.nonce, fingerprint, _ts(now)],
                )
                if cur.fetchone() is not None:
                    todo.append(item)
                else:
                    cur.execute(receipt_sql.STORED_ANSWER, [principal.user_id, item.nonce])
                    fingerprint, body = cur.fetchone()
                    stored[item.nonce] = (fingerprint, receipts.stored_json(body))
            if todo:
                found = {}
                for code in sorted({i.code for i in todo}):
                    cur.execute(rows.ROW_BY_CODE, [code])
                    values = cur.fetchone()
                    if values:
                        found[code] = rows.read_row(values)
                plan = rules.plan_batch(rows.in_scan_order(todo), found, principal)
                written = []
                for registrant_id, event_id, frm, to, scanned_at in plan.history:
                    cur.execute(
                        SQLITE_SCAN_HISTORY,
                        [
                            registrant_id,
                            event_id,
                            frm,
                            to,
                            _ts(now),
                            principal.user_id,
                            _ts(scanned_at),
                        ],
                    )
                    written.append((cur.fetchone()[0], registrant_id, frm, to, now))
                cur.executemany(
                    STATUS_UPDATE, [(s, _ts(now), i) for i, s in plan.final_status.items()]
                )
                if plan.conflicts:  # one writer at a time: no race on the count
                    cur.execute(conflicts.OPEN, [principal.user_id, principal.event_id])
                    conflicts.cap(plan, cur.fetchone()[0], conflicts.open_limit())
                cur.executemany(
                    conflicts.SQLITE_INSERT,
                    [
                        (
                            *[c[k] for k in conflicts.COLUMNS[:-1]],
                            _ts(c["scanned_at"]),
                            principal.device_id,
                            principal.user_id,
                            _ts(now),
                        )
                        for c in plan.conflicts
                    ],
                )
                cur.executemany(
                    receipt_sql.ANSWER_BY_NONCE,
                    [(json.dumps(plan.results[i.index]), principal.user_id, i.nonce) for i in todo],
                )
                messages = rules.batch_live_messages(plan, written, principal.name)
        return receipts.results_of_batch(items, stored, todo, plan, principal), messages
