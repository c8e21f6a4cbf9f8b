#!/usr/bin/env python
"""Live latency: from a status change's API answer to its arrival at every
open dashboard, through uvicorn + Channels + Redis.

    .venv/bin/python bench/live_latency.py [--clients 50,200] [--changes 500]
        [--concurrency 1] [--database-url URL] [--redis-url URL] [--workers 1]

One command does everything, and undoes it:

1. creates a fresh PostgreSQL database (rd_live_bench_<pid>) on the server of
   --database-url, migrates it (bench.harness.database), and
   seeds one event with --changes registrants per round, an organiser with
   an API token, and a viewer with one logged-in session per client (made
   as testing/servers.py's session_cookie_for makes them);
2. starts a private redis-server (unless --redis-url is given) and uvicorn
   serving config.asgi:application with DATABASE_URL and REDIS_URL, so the
   channel layer is channels-redis pub/sub as in production;
3. per round (--clients, e.g. 50 then 200): opens that many websockets to
   /ws/events/<id>/ with the session cookie and an allowed Origin, spread
   over client processes of at most 50 sockets each (asyncio + websockets),
   and waits until every socket has its first snapshot;
4. makes --changes status changes registered -> checked_in through
   POST /api/v1/registrants/<id>/transitions/ with the organiser's token
   (one after another, or --concurrency at a time), noting when each answer
   came (time.monotonic, one clock for all processes on Linux);
5. every client notes when each change message arrived; the latency of one
   delivery is arrival - API answer (negative when the push beat the HTTP
   answer home, which it may: it is published on commit, before the view
   returns). Reported: p50/p90/p99/max per round, and messages lost (a change
   some open socket never got; must be 0 while connections stay up);
6. prints the load average (os.getloadavg) with the figures: the machine is
   shared, and a busy machine shows up in the tail;
7. stops the clients, uvicorn and redis-server, and drops the database, also
   on Ctrl-C or an error (--keep-db keeps it).

Exit status: 0 no loss; 1 messages lost on sockets that stayed up; 2 API
errors or sockets dropped; 3 setup failed.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: import bench.harness from the repository root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench.harness import database, report
from bench.harness.live import run_round
from bench.harness.seeding import seed_live
from bench.harness.servers import UvicornServer, free_port
from testing.servers import RedisServer

TARGET_P99_MS = 100.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; the defaults are the rounds docs/benchmarks.md reports."""
    p = argparse.ArgumentParser(
        description="Latency of live pushes: API answer -> websocket clients.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--clients", default="50,200", help="websocket clients per round, comma-separated"
    )
    p.add_argument("--changes", type=int, default=500, help="status changes per round")
    p.add_argument("--concurrency", type=int, default=1, help="API requests in flight at once")
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    p.add_argument(
        "--database-url",
        default=database.DEFAULT_SERVER_URL,
        help="PostgreSQL server for the throwaway database (its path is ignored)",
    )
    p.add_argument(
        "--redis-url", default="", help="REDIS_URL for the server; default: a private redis-server"
    )
    p.add_argument(
        "--settle",
        type=float,
        default=15.0,
        help="seconds to wait after the last change for stragglers",
    )
    p.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    p.add_argument("--no-save", action="store_true", help="do not write bench/results/*.json")
    args = p.parse_args(argv)
    try:
        args.rounds = [int(x) for x in args.clients.split(",") if x.strip()]
    except ValueError:
        p.error("--clients takes numbers, e.g. 50,200")
    if not args.rounds or min(args.rounds) < 1 or args.changes < 1 or args.concurrency < 1:
        p.error("--clients, --changes and --concurrency must be positive")
    return args


def print_report(result: dict[str, Any]) -> None:
    """The figures per round as a table, then one JSON line."""
    print()
    print(
        f"live latency: uvicorn ({result['workers']} worker) + Channels + Redis pub/sub, "
        f"{result['changes']} changes per round, concurrency {result['concurrency']}"
    )
    print(
        f"  cpus {os.cpu_count()}, python {sys.version.split()[0]}, "
        f"postgres {result['postgres']}, redis {result['redis']}"
    )
    header = ("clients", "p50 ms", "p90 ms", "p99 ms", "max ms", "lost", "dropped", "api/s",
              "load avg (1/5/15) before -> after")  # fmt: skip
    rows = []
    for r in result["rounds"]:
        lat = r["latency_from_answer_ms"]
        load = (
            f"{'/'.join(map(str, r['loadavg_before']))} -> {'/'.join(map(str, r['loadavg_after']))}"
        )
        rows.append((r["clients"], lat["p50"], lat["p90"], lat["p99"], lat["max"], r["lost"],
                     r["dropped_sockets"], r["api_changes_per_s"], load))  # fmt: skip
    report.print_table(header, rows)
    for r in result["rounds"]:
        target = "met" if (r["latency_from_answer_ms"]["p99"] or 1e9) < TARGET_P99_MS else "NOT met"
        print(
            f"  {r['clients']} clients: {r['deliveries']} of {r['expected_deliveries']} deliveries, "
            f"{r['latency_from_answer_ms']['negative_share']} % before the API answer, "
            f"from the request p50 {r['latency_from_request_ms']['p50']} / "
            f"p99 {r['latency_from_request_ms']['p99']} ms, API p50 {r['api_p50_ms']} ms, "
            f"duplicates {r['duplicates']}, API errors {r['api_error_count']}; "
            f"p99 < {TARGET_P99_MS:.0f} ms {target}"
        )
    print(report.result_line(result))


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:  # noqa: C901  (setup and teardown in one place)
    """Set up, run the rounds, report, tear down."""
    args = parse_args(argv)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    dbname = f"rd_live_bench_{os.getpid()}"
    db_url = database.database_url(args.database_url, dbname)
    redis_server = server = None
    created = False
    outcome = 3
    try:
        try:
            postgres_version = database.create_database(args.database_url, dbname)
            created = True
            if args.redis_url:
                redis_url = args.redis_url
            else:
                redis_server = RedisServer()
                redis_server.start()
                redis_url = redis_server.url
            env = database.app_environment(db_url, redis_url)
            database.setup_django(env)
            print(
                f"seeding {dbname}: {len(args.rounds) * args.changes} registrants, "
                f"{max(args.rounds)} sessions…",
                flush=True,
            )
            seed_ = seed_live(len(args.rounds), args.changes, max(args.rounds))
            database.close_django_connections()
            server = UvicornServer(env=env, workers=args.workers, port=free_port(),
                                   start_timeout=90, own_session=True)  # fmt: skip
            server.start()
            base = server.url
        except Exception as exc:
            print(f"setup failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 3
        rounds = []
        for i, clients in enumerate(args.rounds):
            ids = seed_["registrants"][i * args.changes : (i + 1) * args.changes]
            print(
                f"round {i + 1}: {clients} clients, {len(ids)} changes, "
                f"load average {os.getloadavg()[0]:.2f}…",
                flush=True,
            )
            rounds.append(run_round(args, base, seed_, clients, ids))
            r = rounds[-1]["latency_from_answer_ms"]
            print(f"  p50 {r['p50']} ms, p99 {r['p99']} ms, lost {rounds[-1]['lost']}", flush=True)
        import redis

        redis_version = redis.Redis.from_url(redis_url).info().get("redis_version", "?")
        result = {
            "bench": "live_latency",
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "workers": args.workers,
            "changes": args.changes,
            "concurrency": args.concurrency,
            "postgres": postgres_version,
            "redis": redis_version,
            "redis_url": database.redact(redis_url),
            "database_url": database.redact(args.database_url),
            "rounds": rounds,
        }
        print_report(result)
        if not args.no_save:
            print(f"saved {report.save(result, 'live_latency')}")
        if any(r["api_error_count"] or r["dropped_sockets"] for r in rounds):
            outcome = 2
        else:
            outcome = 1 if any(r["lost"] for r in rounds) else 0
        return outcome
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        outcome = 2
        return outcome
    finally:
        if server is not None:
            server.stop()
            if outcome and server.log_text():
                print("server log (tail):", server.log_text()[-2000:])
            server.close()
        if redis_server is not None:
            redis_server.close()
        if created and not args.keep_db:
            database.close_django_connections()
            database.drop_database(args.database_url, dbname)


if __name__ == "__main__":
    sys.exit(main())
