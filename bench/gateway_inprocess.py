#!/usr/bin/env python
"""The gateway's own CPU per scan: its ASGI app driven in-process.

    .venv/bin/python bench/gateway_inprocess.py [--scans 20000] [--clients 16]
        [--repeat 3] [--database-url URL] [--profile FILE] [--path /api/v1/scan/]

What bench/scan_throughput.py --paths measures includes the HTTP server
(uvicorn) and shares two cores with wrk, PostgreSQL and Redis: its CPU per
scan drifts by a fifth from run to run, more than most changes to the
gateway's code are worth. This drives the gateway's application object
itself (gateway.app.create_app, as uvicorn would call it, with the same
ASGI scope, body and headers as wrk_scan.lua sends) from --clients tasks on
one uvloop event loop, against a fresh PostgreSQL database and Redis, and
prints the process's CPU time per scan (time.process_time, which counts the
event loop and any thread of this process, nothing else) and scans per
second, per repeat. Every scan is a real desk check-in of a fresh code, so
the database work (group statements) is real; only the HTTP parsing and
socket writes of a server are left out.

With --profile FILE, the last repeat runs under cProfile and its stats are
written to FILE (pstats; cProfile slows it, so that repeat's figures are
not comparable).

One command creates and drops its database (rd_inproc_<pid>), as
scan_throughput.py does. Exit 0 when every scan answered 200 with
"changed":true, 2 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

if not __package__:  # run as a file: import bench.harness from the repository root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench.harness import database
from bench.harness.seeding import seed as seed_scans


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--scans", type=int, default=20_000, help="scans per repeat")
    p.add_argument("--clients", type=int, default=16, help="concurrent tasks (one token each)")
    p.add_argument("--repeat", type=int, default=3, help="measured repeats (after a warm-up)")
    p.add_argument("--database-url", default=database.DEFAULT_SERVER_URL)
    p.add_argument("--redis-url", default=database.DEFAULT_REDIS_URL)
    p.add_argument("--throttle-rate", default="1000000/min")
    p.add_argument("--path", default=PATHS[0], choices=PATHS,
                   help="/api/v1/scan/ drives config.asgi's application, where the gateway's "
                   "endpoint answers the API's scans (gateway/api_scan.py)")  # fmt: skip
    p.add_argument("--profile", default="", help="write the last repeat's cProfile stats here")
    return p.parse_args()


PATHS = ("/gateway/v1/scan", "/api/v1/scan/")


def scope_for(token: str, body: bytes, path: str = PATHS[0]) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8001),
        "client": ("127.0.0.1", 40000),
        "scheme": "http",
        "method": "POST",
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1:8001"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "state": {},
    }


async def client(
    app, token: str, codes, count: int, failures: list, event_id: int, path: str
) -> None:
    """One scanner: `count` scans of fresh codes, one after another."""
    for _ in range(count):
        body = b'{"code":"%s","mode":"desk","event":%d}' % (next(codes).encode(), event_id)
        sent: list[dict] = []

        async def receive(body=body):
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message, sent=sent):
            sent.append(message)

        await app(scope_for(token, body, path), receive, send)
        if sent[0]["status"] != 200 or b'"changed":true' not in sent[1]["body"]:
            failures.append((sent[0]["status"], sent[1]["body"][:200]))


async def run(
    app, tokens: list[str], codes: list, scans: int, event_id: int, path: str = PATHS[0]
) -> tuple[float, float, list]:
    failures: list = []
    per_client = scans // len(tokens)
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(
        *(
            client(app, token, codes[i], per_client, failures, event_id, path)
            for i, token in enumerate(tokens)
        )
    )
    return time.process_time() - cpu, time.perf_counter() - wall, failures


def main() -> int:
    args = parse_args()
    dbname = f"rd_inproc_{os.getpid()}"
    db_url = database.database_url(args.database_url, dbname)
    database.create_database(args.database_url, dbname)
    try:
        database.setup_django(database.app_environment(db_url, args.redis_url, args.throttle_rate))
        per_client = args.scans // args.clients
        needed = per_client * (args.repeat + 1) + 10
        seed = seed_scans(args.clients, needed * args.clients)
        import uvloop

        if args.path == "/api/v1/scan/":
            from config.asgi import application as app
        else:
            from gateway.app import create_app

            app = create_app()
        codes = [iter(c) for c in seed.codes]
        bad = 0

        async def all_repeats() -> None:
            nonlocal bad
            await run(app, seed.tokens, codes, args.scans // 4, seed.event_id, args.path)  # warm
            for n in range(1, args.repeat + 1):
                profiler = None
                if args.profile and n == args.repeat:
                    import cProfile

                    profiler = cProfile.Profile()
                    profiler.enable()
                cpu, wall, failures = await run(
                    app, seed.tokens, codes, args.scans, seed.event_id, args.path
                )
                if profiler is not None:
                    profiler.disable()
                    profiler.dump_stats(args.profile)
                done = per_client * args.clients
                bad += len(failures)
                print(
                    f"repeat {n}: {done} scans, {1000 * cpu / done:.3f} ms CPU per scan, "
                    f"{done / wall:,.0f} scans/s{' (profiled)' if profiler else ''}"
                    + (f", {len(failures)} failed, first {failures[0]}" if failures else ""),
                    flush=True,
                )
            from gateway import cache, db

            await db.close()
            await cache.store().close()

        uvloop.run(all_repeats())
        return 2 if bad else 0
    finally:
        from django.db import connections

        connections.close_all()
        database.drop_database(args.database_url, dbname)


if __name__ == "__main__":
    sys.exit(main())
