#!/usr/bin/env python
"""What the webhook outbox trigger costs the writers, in the database alone.

    .venv/bin/python bench/webhook_trigger_cost.py --database-url postgres://postgres@127.0.0.1:55499/

Creates a throwaway database on the server, seeds registrants, then times,
alternating in rounds so that the machine's noise falls on every side alike:
the gateway's lone desk scan statement (registrants.sql.scans), one
transaction each and all in one transaction, and a COPY import of --import-rows registrants, with no
trigger (as before webhooks), with the trigger and no endpoint (every
deployment that uses no webhooks), and with the trigger and one active
endpoint on the event (a delivery row per history row). Prints the median
per side and the load average; drops the database at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from contextlib import nullcontext
from importlib import import_module
from pathlib import Path

if not __package__:  # run as a file: import bench.harness from the repository root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench.harness import database
from bench.harness.seeding import seed

SIDES = ("no trigger", "trigger, no endpoint", "trigger + endpoint")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database-url", default=database.DEFAULT_SERVER_URL)
    p.add_argument("--scans", type=int, default=1000, help="scans per side per round")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--import-rows", type=int, default=5000)
    args = p.parse_args(argv)
    dbname = f"rd_bench_webhooks_{os.getpid()}"
    database.run_in_throwaway_database(args.database_url, dbname, lambda: _run(args))


def _set_side(side: str, event_id: int) -> None:
    from django.db import connection

    from webhooks.models import Endpoint

    trigger = import_module("webhooks.migrations.0003_endpoint_event_types")
    with connection.cursor() as cursor:
        for statement in trigger.PG_REMOVE if side == SIDES[0] else trigger.PG_INSTALL:
            cursor.execute(statement)
    Endpoint.objects.all().delete()
    if side == SIDES[2]:
        Endpoint.objects.create(event_id=event_id, url="https://example.com/hook")


def _scans(codes: list[str], event_id: int, actor: int, *, one_transaction: bool) -> float:
    """Seconds per scan of `codes`, each its own transaction (autocommit:
    the durable commit dominates), or all in one (the statements' own cost)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from registrants.sql.scans import pg_scan_sql

    sql = pg_scan_sql("desk")
    started = time.perf_counter()
    with (
        transaction.atomic(durable=True) if one_transaction else nullcontext(),
        connection.cursor() as cursor,
    ):
        for code in codes:
            cursor.execute(
                sql, {"code": code, "event": event_id, "now": timezone.now(), "actor": actor}
            )
    return (time.perf_counter() - started) / len(codes)


def _explained(codes: list[str], event_id: int, actor: int) -> tuple[float, float]:
    """(median execution ms, median trigger ms) of the scan statement under
    EXPLAIN ANALYZE: PostgreSQL times the trigger itself, which the
    machine's noise cannot blur the way it blurs a whole request."""
    import json

    from django.db import connection
    from django.utils import timezone

    from registrants.sql.scans import pg_scan_sql

    sql = "EXPLAIN (ANALYZE, FORMAT JSON) " + pg_scan_sql("desk")
    total, trigger = [], []
    with connection.cursor() as cursor:
        for code in codes:
            params = {"code": code, "event": event_id, "now": timezone.now(), "actor": actor}
            cursor.execute(sql, params)
            raw = cursor.fetchone()[0]
            plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
            total.append(plan["Execution Time"])
            trigger.append(sum(t["Time"] for t in plan.get("Triggers", [])))
    return statistics.median(total), statistics.median(trigger)


def _import(event_id: int, rows: int, marker: str) -> float:
    from registrants.services.imports import ImportedRegistrant, registrants_import_batch

    people = [
        ImportedRegistrant(i + 2, f"Person {i}", f"p{i}-{marker}@example.com", "attendee")
        for i in range(rows)
    ]
    started = time.perf_counter()
    registrants_import_batch(
        event_id=event_id, rows=people, expected=rows, actor=None, marker=marker,
        all_or_nothing=True,
    )  # fmt: skip
    return time.perf_counter() - started


def _run(args: argparse.Namespace) -> None:
    env = database.app_environment(os.environ["DATABASE_URL"], "")
    env.pop("REDIS_URL")
    database.setup_django(env)
    from registrants.models import Event

    total = 2 * args.scans * args.rounds * len(SIDES) + 2 * args.scans
    s = seed(1, total)
    codes = iter(s.codes[0])
    bulk_event = Event.objects.create(name="imports", date="2026-01-01", capacity=10**7)
    scan: dict[str, list[float]] = {side: [] for side in SIDES}
    batched: dict[str, list[float]] = {side: [] for side in SIDES}
    imports: dict[str, list[float]] = {side: [] for side in SIDES}
    print(f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs", flush=True)
    for n in range(args.rounds):
        order = SIDES if n % 2 == 0 else tuple(reversed(SIDES))
        for side in order:
            _set_side(side, s.event_id)
            batch = [next(codes) for _ in range(args.scans)]
            scan[side].append(_scans(batch, s.event_id, s.user_ids[0], one_transaction=False))
            batch = [next(codes) for _ in range(args.scans)]
            batched[side].append(_scans(batch, s.event_id, s.user_ids[0], one_transaction=True))
            _set_side(side, bulk_event.pk)
            imports[side].append(_import(bulk_event.pk, args.import_rows, f"r{n}-{side}"))
        print(f"round {n + 1} done, load {os.getloadavg()[0]:.2f}", flush=True)
    base_scan, base_import = (
        statistics.median(scan[SIDES[0]]),
        statistics.median(imports[SIDES[0]]),
    )
    base_batched = statistics.median(batched[SIDES[0]])
    print(
        f"{'side':<24} {'scan+commit':>12} {'vs none':>8} {'scan in tx':>11} {'vs none':>8}"
        f" {'import':>9} {'vs none':>8}"
    )
    for side in SIDES:
        a, c = statistics.median(scan[side]), statistics.median(batched[side])
        b = statistics.median(imports[side])
        print(
            f"{side:<24} {a * 1e6:>9.0f} us {a / base_scan:>8.3f} {c * 1e6:>8.0f} us"
            f" {c / base_batched:>8.3f} {b:>7.2f} s {b / base_import:>8.3f}"
        )
    for side in SIDES[1:]:
        _set_side(side, s.event_id)
        batch = [next(codes) for _ in range(args.scans)]
        total_ms, trigger_ms = _explained(batch, s.event_id, s.user_ids[0])
        print(
            f"EXPLAIN ANALYZE, {side}: scan statement {total_ms * 1000:.0f} us,"
            f" of which the trigger {trigger_ms * 1000:.1f} us (median of {args.scans})"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
