#!/usr/bin/env python
"""Scan throughput: desk check-ins per second through the real HTTP stack.

    .venv/bin/python bench/scan_throughput.py [--seconds 30] [--clients 16]
        [--workers 2] [--database-url URL] [--path /api/v1/scan/]
    .venv/bin/python bench/scan_throughput.py --paths /api/v1/scan/,/gateway/v1/scan
    .venv/bin/python bench/scan_throughput.py --batch

Creates a fresh database (rd_bench_<pid>), seeds one event and a staff user
with a token per client, counts one scan's SQL queries in-process, serves
config.wsgi with gunicorn, drives --clients threads scanning fresh codes for
--warmup + --seconds (only the last --seconds count), prints scans/s,
latency, errors and CPU per scan with one RESULT line (saved under
bench/results/), checks the database in SQL, then stops the server and
drops the database, also on Ctrl-C or an error. --paths and --batch run
bench/scan_compare.py instead. docs/benchmarks.md says how to read it.

Exit status: 0 all good; 1 invariant violations; 2 the run had errors (or ran
out of codes) but the database is consistent; 3 setup failed.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

if not __package__:  # run as a file: import bench.harness from the repository root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench.harness import cpu, database, report, stats
from bench.harness.checks import verify
from bench.harness.load import run_load
from bench.harness.queries import count_scan_queries
from bench.harness.seeding import PROBE_SCANS, seed
from bench.harness.servers import GunicornServer, summarize_log


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; every default is the setting docs/benchmarks.md reports."""
    p = argparse.ArgumentParser(
        description="Benchmark desk scans through gunicorn + Django + PostgreSQL.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = p.add_argument
    add("--seconds", type=float, default=30.0, help="measured duration")
    add("--warmup", type=float, default=3.0, help="unmeasured lead-in")
    add("--clients", type=int, default=16, help="concurrent clients (threads)")
    add("--workers", type=int, default=2, help="gunicorn sync workers")
    add("--web-workers", type=int, default=1,
        help="uvicorn workers serving config.asgi for /api/ paths with --paths "
        "(docs/decisions/0200)")  # fmt: skip
    add("--gateway-workers", type=int, default=1,
        help="uvicorn workers for gateway paths (--paths, --batch): one event loop "
        "per core that PostgreSQL does not need; on two shared cores, 1 "
        "(docs/benchmarks.md)")  # fmt: skip
    add("--database-url", default=database.DEFAULT_SERVER_URL,
        help="PostgreSQL server to create the throwaway database on (its path is ignored)")  # fmt: skip
    add("--redis-url", default=database.DEFAULT_REDIS_URL, help="REDIS_URL for the server")
    add("--path", default="/api/v1/scan/", help="scan endpoint to POST to")
    add("--paths", default="",
        help="compare endpoints in one run, alternating (bench/scan_compare.py), e.g. "
        "wsgi:/api/v1/scan/,/api/v1/scan/,/gateway/v1/scan: /api/ on uvicorn config.asgi, "
        "/gateway/ on uvicorn gateway.main:app, wsgi:PATH on gunicorn config.wsgi")  # fmt: skip
    add("--rounds", type=int, default=4, help="alternating rounds with --paths")
    add("--driver", choices=["auto", "wrk", "python"], default="auto",
        help="load generator with --paths: wrk (C, bench/wrk_scan.lua; auto picks it when "
        "installed) or python (httpx threads)")  # fmt: skip
    add("--wrk-max-rate", type=float, default=4000.0,
        help="with wrk: fresh codes handed to each run per second of it (more seeding)")  # fmt: skip
    add("--batch", action="store_true",
        help="time --batches x 500 offline scans through /gateway/v1/scan/batch")  # fmt: skip
    add("--batches", type=int, default=20, help="batches of 500 with --batch")
    add("--registrants", type=int, default=60_000,
        help="codes to seed; a client that runs out stops (reported as an error)")  # fmt: skip
    add("--throttle-rate", default="1000000/min",
        help="SCAN_THROTTLE_RATE for the server; 'app' keeps the application's default")  # fmt: skip
    add("--timeout", type=float, default=30.0, help="per-request timeout, seconds")
    add("--keep-db", action="store_true", help="do not drop the database at the end")
    add("--no-save", action="store_true", help="do not write bench/results/*.json")
    args = p.parse_args(argv)
    if args.clients < 1 or args.workers < 1 or args.seconds <= 0:
        p.error("--clients, --workers and --seconds must be positive")
    return args


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:  # noqa: C901  (setup and teardown in one place)
    """Set up, run, report, verify, tear down."""
    args = parse_args(argv)
    if args.paths or args.batch:
        from bench import scan_compare

        return scan_compare.main(args)
    # Also when started in the background, where SIGINT may arrive ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    dbname = f"rd_bench_{os.getpid()}"
    cpu.BENCH_DATABASE[:] = [dbname]
    db_url = database.database_url(args.database_url, dbname)
    env = database.app_environment(db_url, args.redis_url, args.throttle_rate)
    server = GunicornServer(env=env, workers=args.workers, ready_path=args.path, own_session=True)
    created = False
    try:
        print(f"creating database {dbname} ...", flush=True)
        pg_version = database.create_database(args.database_url, dbname)
        created = True
        database.setup_django(env)
        t = time.perf_counter()
        seed_ = seed(args.clients, args.registrants)
        print(f"seeded {args.registrants + PROBE_SCANS} registrants, {args.clients} users "
              f"in {time.perf_counter() - t:.1f} s", flush=True)  # fmt: skip
        queries = count_scan_queries(seed_.tokens[0], args.path, seed_.probe_codes, seed_.event_id)
        if any(code != 200 for code in queries["statuses"]):
            print(f"in-process probe scans answered {queries['statuses']}", file=sys.stderr)
            return 3
        server.start()
        print(f"gunicorn up on {server.url}; {args.warmup:g} s warm-up + {args.seconds:g} s ...",
              flush=True)  # fmt: skip
        assert server.proc is not None
        run = run_load(args, server.url, seed_, server.proc.pid)
        server.stop()

        expected = {code: seed_.user_ids[0] for code in seed_.probe_codes}
        unknown: set[str] = set()
        for i, client_log in enumerate(run.logs):
            expected.update(dict.fromkeys(client_log.ok_codes, seed_.user_ids[i]))
            unknown.update(client_log.other_codes)
        violations, written = verify(db_url, seed_.event_id, expected, unknown)
        import django

        result = {
            "benchmark": "scan_throughput",
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "figures": stats.figures(run),
            "queries": queries,
            "server_log": summarize_log(server.log_text()),
            "invariants": {
                "ok": not violations,
                "violations": violations,
                "successful_scans": len(expected),
                "history_rows_written": written,
            },
            "settings": {
                "clients": args.clients,
                "workers": args.workers,
                "path": args.path,
                "seconds": args.seconds,
                "warmup": args.warmup,
                "settings": env["DJANGO_SETTINGS_MODULE"],
                "throttle_rate": env.get("SCAN_THROTTLE_RATE", "app default"),
                "database": database.redact(db_url),
                "postgres": pg_version,
                "redis": database.redact(args.redis_url),
                "gunicorn": report.package_version("gunicorn"),
                "django": django.get_version(),
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "machine": platform.machine(),
                "interrupted": run.interrupted,
            },
        }
        report.print_scan_report(result)
        if not args.no_save:
            print(f"saved {report.save(result).relative_to(database.REPO)}")
        if violations:
            return 1
        return 2 if result["figures"]["errors_whole_run"] or run.interrupted else 0
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up", file=sys.stderr)
        return 130
    except Exception as exc:
        print(f"benchmark failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        tail = server.log_text().splitlines()[-40:]
        if tail:
            print("--- gunicorn log (tail) ---\n" + "\n".join(tail), file=sys.stderr)
        return 3
    finally:
        server.close()
        if created:
            database.close_django_connections()
            if args.keep_db:
                print(f"kept database {dbname}")
            else:
                database.drop_database(args.database_url, dbname)
                print(f"dropped database {dbname}")


if __name__ == "__main__":
    sys.exit(main())
