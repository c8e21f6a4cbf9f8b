"""The DRF path and the gateway side by side, and the gateway's batch path.

Run through bench/scan_throughput.py:

    .venv/bin/python bench/scan_throughput.py --paths /api/v1/scan/,/gateway/v1/scan
    .venv/bin/python bench/scan_throughput.py --batch

--paths: one fresh database, two servers with production settings
(gunicorn sync workers serving config.wsgi for /api/; `uvicorn
gateway.main:app` for /gateway/), --workers gunicorn workers and
--gateway-workers uvicorn workers, both on PostgreSQL and Redis. The paths
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

import datetime as dt
import json
import os
import time
import uuid

import httpx

from bench.harness import database, seeding
from bench.harness.checks import check_database
from bench.harness.cpu import BENCH_DATABASE, CpuSnapshot, other_share, server_and_services
from bench.harness.load import drive, drive_wrk, driver
from bench.harness.servers import GunicornServer, UvicornServer
from bench.harness.stats import summarise, weighted_percentile


def start_servers(args, paths, env, servers: list) -> dict[str, str]:
    """One server per path: gunicorn (sync) for Django, uvicorn for the gateway."""
    bases = {}
    for path in paths:
        if path.startswith("/gateway/"):
            server: UvicornServer = UvicornServer(
                env=env, app="gateway.main:app", workers=args.gateway_workers,
                ready_path="/gateway/openapi.json", own_session=True,
            )  # fmt: skip
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
            registrants = max(registrants, codes_needed(args, paths))
        seed_ = seeding.seed(args.clients, registrants)
        database.close_django_connections()
        bases = start_servers(args, paths, env, servers)
        pids = [s.proc.pid for s in servers if s.proc]
        print(f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs")
        if args.batch:
            base = bases.get("/gateway/v1/scan") or next(iter(bases.values()))
            return run_batches(args, base, seed_, db_url, pids)
        run = run_wrk if driver(args) == "wrk" else run_threads
        return run(args, paths, bases, seed_, db_url, pids)
    finally:
        for server in servers:
            server.close()
        database.close_django_connections()
        database.drop_database(args.database_url, dbname)


def report(args, paths: list[str], figures: dict, db_url: str, how: str) -> int:
    """Print the figures per path, their ratio and the invariants; the exit status."""
    print(
        f"\nscan paths, alternating, {how}, {args.rounds} rounds, "
        f"{args.workers} gunicorn workers (DRF), {args.gateway_workers} uvicorn (gateway)"
    )
    for path in paths:
        f = figures[path]
        print(
            f"  {path:22s} {f['scans_per_s']:8.1f} scans/s  p50 {f['p50_ms']:7.2f} ms  "
            f"p99 {f['p99_ms']:7.2f} ms  errors {f['errors']}  "
            f"other processes {f['other_cpu_pct']} % CPU"
        )
        if f.get("server_cpu_ms_per_scan") is not None:
            print(
                f"  {'':22s} CPU per scan: server {f['server_cpu_ms_per_scan']:.3f} ms, "
                f"PostgreSQL + Redis {f['db_cpu_ms_per_scan']:.3f} ms"
            )
        if f.get("ran_dry"):
            print(f"  {path}: {f['ran_dry']} requests found no fresh code: raise --wrk-max-rate")
    if len(paths) == 2:
        a, b = (figures[p]["scans_per_s"] for p in paths)
        print(f"  ratio {paths[1]} / {paths[0]}: {b / a:.2f}x" if a else "  ratio: n/a")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    problems = check_database(db_url)
    print(
        "invariants: ok"
        if not problems
        else "invariants: VIOLATED\n  " + "\n  ".join(problems[:10])
    )
    workers = {"gunicorn": args.workers, "uvicorn": args.gateway_workers}
    print(
        "RESULT "
        + json.dumps(
            {"how": how, "workers": workers, "figures": figures, "invariants_ok": not problems}
        )
    )
    return 1 if problems else (2 if any(figures[p]["errors"] for p in paths) else 0)


def run_threads(args, paths, bases, seed, db_url: str, pids: list[int]) -> int:
    """The alternating comparison with --clients httpx threads."""
    iters = {
        p: [iter(seed.codes[i][k :: len(paths)]) for i in range(args.clients)]
        for k, p in enumerate(paths)
    }
    totals = {p: {"samples": [], "ok": 0, "seconds": 0.0, "errors": 0, "other": []} for p in paths}
    # Warm each path (caches, pools, prepared statements), unmeasured.
    for path in paths:
        drive(bases[path], path, seed.tokens, iters[path], args.warmup, args.timeout, seed.event_id)
    per_round = args.seconds / args.rounds
    for _ in range(args.rounds):
        for path in paths:
            logs, seconds, cpu = drive(
                bases[path], path, seed.tokens, iters[path], per_round, args.timeout, seed.event_id
            )
            t = totals[path]
            for client in logs:
                for _, latency, outcome in client.requests:
                    if outcome == "ok":
                        t["samples"].append(latency)
                        t["ok"] += 1
                    else:
                        t["errors"] += 1
            t["seconds"] += seconds
            t["other"].append(other_share(cpu, pids))
    figures = {}
    for path in paths:
        t = totals[path]
        figures[path] = summarise(t["samples"], t["ok"], t["seconds"])
        figures[path]["errors"] = t["errors"]
        figures[path]["other_cpu_pct"] = round(sum(t["other"]) / len(t["other"]), 1)
    return report(args, paths, figures, db_url, f"{args.clients} httpx client threads")


def codes_needed(args, paths: list[str]) -> int:
    """Registrants to seed so that no wrk run can run dry: every run gets
    --wrk-max-rate x its seconds fresh codes (unused ones are not reused)."""
    runs = args.warmup + args.seconds
    return int(len(paths) * (args.wrk_max_rate * runs + 200 * (args.rounds + 1)))


def run_wrk(args, paths, bases, seed, db_url: str, pids: list[int]) -> int:
    """The alternating comparison with wrk as the load generator."""
    pool = iter([c for per_client in seed.codes for c in per_client])

    def fresh(seconds: float) -> list[str]:
        n = int(args.wrk_max_rate * seconds) + 200
        return [c for _, c in zip(range(n), pool, strict=False)]

    for path in paths:  # warm caches, pools and prepared statements, unmeasured
        drive_wrk(
            bases[path],
            path,
            seed.tokens,
            fresh(args.warmup),
            args.warmup,
            args.clients,
            seed.event_id,
        )
    totals = {
        p: {"points": [], "ok": 0, "bad": 0, "dry": 0, "s": 0.0, "other": [], "cpu": [0.0, 0.0]}
        for p in paths
    }
    per_round = args.seconds / args.rounds
    for n in range(1, args.rounds + 1):
        for path in paths:
            result, seconds, cpu = drive_wrk(
                bases[path],
                path,
                seed.tokens,
                fresh(per_round),
                per_round,
                args.clients,
                seed.event_id,
            )
            q = result["quantiles_us"]  # q[i] is the (i + 1) / 10 % quantile
            print(
                f"  round {n} {path:22} {result['requests'] / seconds:8.1f} scans/s"
                f"  p50 {q[499] / 1000:7.2f}  p99 {q[989] / 1000:7.2f}"
                f"  max {result['max_us'] / 1000:7.2f} ms"
            )
            t = totals[path]
            bad = result["bad"] + result["socket_errors"]
            t["ok"] += result["requests"] - result["bad"]
            t["bad"] += bad
            t["dry"] += result["exhausted"]
            t["s"] += seconds
            weight = result["requests"] / len(result["quantiles_us"])
            t["points"] += [(us / 1000, weight) for us in result["quantiles_us"]]
            t["other"].append(other_share(cpu, pids))
            server, services = server_and_services(cpu, pids)
            t["cpu"][0] += server
            t["cpu"][1] += services
    figures = {}
    for path in paths:
        t = totals[path]
        figures[path] = {
            "scans_per_s": round(t["ok"] / t["s"], 1) if t["s"] else 0,
            "scans": t["ok"],
            "p50_ms": round(weighted_percentile(t["points"], 0.50), 2),
            "p99_ms": round(weighted_percentile(t["points"], 0.99), 2),
            "errors": t["bad"],
            "ran_dry": t["dry"],
            "other_cpu_pct": round(sum(t["other"]) / len(t["other"]), 1),
            # Per answered scan, both servers' processes counted (the idle
            # one's share is small): where the machine's time goes.
            "server_cpu_ms_per_scan": round(1000 * t["cpu"][0] / t["ok"], 3) if t["ok"] else None,
            "db_cpu_ms_per_scan": round(1000 * t["cpu"][1] / t["ok"], 3) if t["ok"] else None,
        }
    return report(args, paths, figures, db_url, f"wrk, {args.clients} connections")


def run_batches(args, base: str, seed, db_url: str, pids: list[int]) -> int:
    codes = [c for per_client in seed.codes for c in per_client][: args.batches * 500]
    t0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    batches = [
        {
            "event": seed.event_id,
            "items": [
                {
                    "code": c,
                    "mode": "desk",
                    "nonce": uuid.uuid4().hex,
                    "scanned_at": (t0 + dt.timedelta(seconds=n * 500 + i)).isoformat(),
                }
                for i, c in enumerate(codes[n * 500 : (n + 1) * 500])
            ],
        }
        for n in range(args.batches)
    ]
    headers = {"Authorization": f"Bearer {seed.tokens[0]}"}
    applied = 0
    cpu0 = CpuSnapshot.take()
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        http.post("/gateway/v1/scan/batch", json={"items": []})  # connect; a 400
        start = time.perf_counter()
        for batch in batches:
            r = http.post("/gateway/v1/scan/batch", json=batch)
            r.raise_for_status()
            applied += r.json()["applied"]
        elapsed = time.perf_counter() - start
        replay = http.post("/gateway/v1/scan/batch", json=batches[0]).json()
    cpu1 = CpuSnapshot.take()
    print(
        f"\nbatch path: {len(codes)} offline scans in {args.batches} batches of 500: "
        f"{elapsed:.2f} s ({len(codes) / elapsed:.0f} scans/s), applied {applied}; "
        f"replaying batch 1: {replay['replayed']} replayed, {replay['applied']} applied; "
        f"other processes {other_share((cpu0, cpu1), pids)} % CPU"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    problems = check_database(db_url)
    print("invariants: ok" if not problems else "invariants: VIOLATED")
    return 1 if problems or applied != len(codes) else 0
