"""The DRF path and the gateway side by side, and the gateway's batch path.

Run through bench/scan_throughput.py:

    .venv/bin/python bench/scan_throughput.py --paths /api/v1/scan/,/gateway/v1/scan
    .venv/bin/python bench/scan_throughput.py --batch

--paths: one fresh database, one server per path with production settings
(`uvicorn config.asgi`, the web process as the product runs it, for /api/;
`uvicorn gateway.main:app` for /gateway/; `wsgi:/api/v1/scan/` names
gunicorn sync workers serving config.wsgi, where the API scan is the DRF
view), --web-workers, --gateway-workers and --workers (gunicorn) workers,
all on PostgreSQL and Redis. The paths
take turns in --rounds rounds, each driving --clients clients (one thread
and token each) for --seconds/rounds seconds with codes nobody scanned yet;
every counted scan is a real desk check-in. Prints scans/s, p50 and p99 per path, the ratio, and the CPU share
of other processes (the machine is shared); then checks invariant I1 and
one history row per successful scan, in SQL.

--driver: `wrk` (the default when wrk is installed) drives the clients
from wrk's C event loop with bench/wrk_scan.lua (--clients connections, 2
threads, every answer checked for `changed: true`, latency quantiles merged
across rounds); `python` uses --clients threads of httpx, which cost the
shared two cores several times more CPU per request than the server's
fastest path and so measure the load generator as much as the server.

--batch: 10,000 offline desk scans (--batches x 500) POSTed to
/gateway/v1/scan/batch one after another; prints the time to apply them all
and checks that every one was applied exactly once.
"""

from __future__ import annotations

import json
import os
from typing import Any

from bench.harness import compare, database, seeding
from bench.harness.checks import check_database
from bench.harness.cpu import BENCH_DATABASE
from bench.harness.load import driver
from bench.harness.servers import GunicornServer, UvicornServer

# The servers a --paths entry may name before its path (`wsgi:/api/v1/scan/`).
# Without one: /gateway/ paths on `uvicorn gateway.main:app`, the others on
# `uvicorn config.asgi` (the web process as the product runs it).
SERVERS = ("asgi", "wsgi", "gateway")


def server_of(label: str) -> str:
    """The server a --paths entry runs on (SERVERS)."""
    if ":" in label:
        server = label.split(":", 1)[0]
        if server not in SERVERS:
            raise SystemExit(f"--paths: unknown server {server!r} (one of {', '.join(SERVERS)})")
        return server
    return "gateway" if label.startswith("/gateway/") else "asgi"


def start_servers(args, paths, env, servers: list) -> dict[str, str]:
    """One server per path: gunicorn sync workers serving config.wsgi (wsgi),
    uvicorn serving config.asgi (asgi) or gateway.main (gateway)."""
    bases = {}
    for path in paths:
        server: UvicornServer
        kind = server_of(path)
        if kind == "gateway":
            server = UvicornServer(
                env=env, app="gateway.main:app", workers=args.gateway_workers,
                ready_path="/gateway/openapi.json", own_session=True,
            )  # fmt: skip
        elif kind == "asgi":
            server = UvicornServer(
                env=env, workers=args.web_workers, ready_path="/api/v1/events/", own_session=True
            )
        else:
            server = GunicornServer(
                env=env, workers=args.workers, ready_path="/api/v1/events/", own_session=True
            )
        servers.append(server)
        server.start()
        bases[path] = server.url
    return bases


def main(args) -> int:
    """--paths or --batch of bench/scan_throughput.py: set up, run, tear down."""
    dbname = f"rd_bench_{os.getpid()}"
    BENCH_DATABASE[:] = [dbname]
    db_url = database.database_url(args.database_url, dbname)
    database.create_database(args.database_url, dbname)
    servers: list[UvicornServer] = []
    try:
        env = database.app_environment(db_url, args.redis_url, args.throttle_rate)
        database.setup_django(env)
        paths = [p for p in (args.paths or "").split(",") if p] or ["/gateway/v1/scan"]
        registrants = args.registrants
        if driver(args) == "wrk" and not args.batch:
            registrants = max(registrants, compare.codes_needed(args, paths))
        seed_ = seeding.seed(args.clients, registrants)
        database.close_django_connections()
        bases = start_servers(args, paths, env, servers)
        pids = [s.proc.pid for s in servers if s.proc]
        print(f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs")
        if args.batch:
            base = bases.get("/gateway/v1/scan") or next(iter(bases.values()))
            return report_batches(args, compare.offline_batches(args, base, seed_, pids), db_url)
        run = compare.alternate_wrk if driver(args) == "wrk" else compare.alternate_threads
        figures, how = run(args, paths, bases, seed_, pids)
        return report(args, paths, figures, db_url, how)
    finally:
        for server in servers:
            server.close()
        database.close_django_connections()
        database.drop_database(args.database_url, dbname)


def report(args, paths: list[str], figures: dict, db_url: str, how: str) -> int:
    """Print the figures per path, their ratio and the invariants; the exit status."""
    print(
        f"\nscan paths, alternating, {how}, {args.rounds} rounds, {args.web_workers} uvicorn "
        f"workers (config.asgi), {args.gateway_workers} uvicorn (gateway.main), "
        f"{args.workers} gunicorn (config.wsgi)"
    )
    for path in paths:
        f = figures[path]
        print(
            f"  {path:27s} {f['scans_per_s']:8.1f} scans/s  p50 {f['p50_ms']:7.2f} ms  "
            f"p99 {f['p99_ms']:7.2f} ms  errors {f['errors']}  "
            f"other processes {f['other_cpu_pct']} % CPU"
        )
        if f.get("server_cpu_ms_per_scan") is not None:
            print(
                f"  {'':27s} CPU per scan: server {f['server_cpu_ms_per_scan']:.3f} ms, "
                f"PostgreSQL + Redis {f['db_cpu_ms_per_scan']:.3f} ms"
            )
        if f.get("ran_dry"):
            print(f"  {path}: {f['ran_dry']} requests found no fresh code: raise --wrk-max-rate")
    first = figures[paths[0]]["scans_per_s"]
    for path in paths[1:]:
        ratio = figures[path]["scans_per_s"] / first if first else None
        print(f"  ratio {path} / {paths[0]}: {ratio:.2f}x" if ratio else "  ratio: n/a")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    problems = check_database(db_url)
    print(
        "invariants: ok"
        if not problems
        else "invariants: VIOLATED\n  " + "\n  ".join(problems[:10])
    )
    workers = {
        "config.asgi": args.web_workers,
        "gateway.main": args.gateway_workers,
        "gunicorn": args.workers,
    }
    print(
        "RESULT "
        + json.dumps(
            {"how": how, "workers": workers, "figures": figures, "invariants_ok": not problems}
        )
    )
    return 1 if problems else (2 if any(figures[p]["errors"] for p in paths) else 0)


def report_batches(args, batches: dict[str, Any], db_url: str) -> int:
    """Print the batch path's figures and the invariants; the exit status."""
    n, elapsed, replay = batches["scans"], batches["seconds"], batches["replay"]
    print(
        f"\nbatch path: {n} offline scans in {args.batches} batches of 500: "
        f"{elapsed:.2f} s ({n / elapsed:.0f} scans/s), applied {batches['applied']}; "
        f"replaying batch 1: {replay['replayed']} replayed, {replay['applied']} applied; "
        f"other processes {batches['other_cpu_pct']} % CPU"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    problems = check_database(db_url)
    print("invariants: ok" if not problems else "invariants: VIOLATED")
    return 1 if problems or batches["applied"] != n else 0
