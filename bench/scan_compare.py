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

import bisect
import datetime as dt
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from typing import Any

import httpx
import psycopg
import scan_throughput as st


def start_gateway(workers: int, port: int, env: dict[str, str], log) -> subprocess.Popen:
    return st.start_uvicorn("gateway.main:app", workers, port, env, log)


def drive(base: str, path: str, tokens, iters, seconds: float, timeout: float, event_id: int):
    start, stop = threading.Event(), threading.Event()
    logs = [st.ClientLog() for _ in tokens]
    threads = [
        threading.Thread(
            target=st.client_loop,
            daemon=True,
            args=(base, path, tokens[i], iters[i], timeout, start, stop, logs[i], event_id),
        )
        for i in range(len(tokens))
    ]
    for t in threads:
        t.start()
    time.sleep(0.3)
    cpu0 = st.CpuSnapshot.take()
    t0 = time.perf_counter()
    start.set()
    time.sleep(seconds)
    stop.set()
    t1 = time.perf_counter()
    cpu1 = st.CpuSnapshot.take()
    for t in threads:
        t.join(timeout=timeout + 5)
    return logs, t1 - t0, (cpu0, cpu1)


WRK_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wrk_scan.lua")
WRK_THREADS = 2


def driver(args) -> str:
    chosen = getattr(args, "driver", "auto")
    if chosen == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    return chosen


def drive_wrk(
    base: str, path: str, tokens, codes: list[str], seconds: float, clients: int, event_id: int
):
    """One wrk run: (result dict of wrk_scan.lua's done(), seconds, cpu)."""
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        codes_file, tokens_file = os.path.join(tmp, "codes"), os.path.join(tmp, "tokens")
        with open(codes_file, "w") as f:
            f.write("\n".join(codes) + "\n")
        with open(tokens_file, "w") as f:
            f.write("\n".join(tokens) + "\n")
        env = {
            **os.environ,
            "WRK_CODES": codes_file,
            "WRK_TOKENS": tokens_file,
            "WRK_PATH": path,
            "WRK_EVENT": str(event_id),
            "WRK_THREADS": str(WRK_THREADS),
        }
        cmd = [
            "wrk",
            f"-t{WRK_THREADS}",
            f"-c{clients}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "30s",
            "-s",
            WRK_SCRIPT,
            base,
        ]
        cpu0 = st.CpuSnapshot.take()
        t0 = time.perf_counter()
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
        elapsed = time.perf_counter() - t0
        cpu1 = st.CpuSnapshot.take()
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    result = json.loads(line[4:])
    return result, result["duration_us"] / 1e6 or elapsed, (cpu0, cpu1)


def weighted_percentile(points: list[tuple[float, float]], q: float) -> float:
    """`points` (value, weight), any order: the value below which q of the weight lies."""
    points = sorted(points)
    total = sum(w for _, w in points)
    cumulative, acc = [], 0.0
    for _, w in points:
        acc += w
        cumulative.append(acc)
    i = bisect.bisect_left(cumulative, q * total)
    return points[min(i, len(points) - 1)][0]


def server_and_services(cpu, server_pids: list[int]) -> tuple[float, float]:
    """CPU seconds of the servers under test and of PostgreSQL + Redis."""
    before, after = cpu
    server = sum(st.cpu_split(before, after, pid)["server"] for pid in server_pids)
    return server, st.cpu_split(before, after, server_pids[0])["services"]


def other_share(cpu, server_pids: list[int]) -> float:
    before, after = cpu
    split = st.cpu_split(before, after, server_pids[0])
    for pid in server_pids[1:]:
        extra = st.cpu_split(before, after, pid)["server"]
        split["other"] -= extra
    return round(100 * split["other"] / split["capacity"], 1) if split["capacity"] else 0.0


def summarise(samples: list[float], ok: int, seconds: float) -> dict[str, Any]:
    samples.sort()
    return {
        "scans_per_s": round(ok / seconds, 1) if seconds else 0,
        "scans": ok,
        "p50_ms": round(1000 * (st.percentile(samples, 0.50) or 0), 2),
        "p99_ms": round(1000 * (st.percentile(samples, 0.99) or 0), 2),
    }


def check_database(db_url: str) -> list[str]:
    """I1 for every registrant, and no scan wrote more than one row."""
    with psycopg.connect(st.psycopg_conninfo(db_url)) as conn:
        bad = conn.execute(
            "SELECT r.id FROM registrants_registrant r JOIN LATERAL (SELECT to_status FROM "
            "registrants_statuschange h WHERE h.registrant_id = r.id ORDER BY h.id DESC LIMIT 1) "
            "last ON true WHERE last.to_status <> r.status"
        ).fetchall()
        doubles = conn.execute(
            "SELECT registrant_id FROM registrants_statuschange WHERE source = 'scan' "
            "GROUP BY registrant_id HAVING count(*) > 1"
        ).fetchall()
    return [f"I1 violated for registrant {r[0]}" for r in bad] + [
        f"registrant {r[0]} scanned twice" for r in doubles
    ]


def start_servers(args, paths, env, log, servers: list) -> dict[str, str]:
    """One server per path: gunicorn (sync) for Django, uvicorn for the gateway."""
    bases = {}
    for path in paths:
        port = st.free_port()
        gateway = path.startswith("/gateway/")
        start = start_gateway if gateway else st.start_server
        servers.append(start(args.gateway_workers if gateway else args.workers, port, env, log))
        bases[path] = f"http://127.0.0.1:{port}"
        probe = "/gateway/openapi.json" if gateway else "/api/v1/events/"
        st.wait_until_answering(bases[path], probe, servers[-1])
    return bases


def main(args) -> int:
    dbname = f"rd_bench_{os.getpid()}"
    st.BENCH_DATABASE[:] = [dbname]
    db_url = st.database_url(args.database_url, dbname)
    st.create_database(args.database_url, dbname)
    servers: list[subprocess.Popen] = []
    log = tempfile.NamedTemporaryFile(prefix="bench-", suffix=".log", delete=False)  # noqa: SIM115
    try:
        env = st.app_environment(args, db_url)
        st.setup_django(env)
        paths = [p for p in (args.paths or "").split(",") if p] or ["/gateway/v1/scan"]
        registrants = args.registrants
        if driver(args) == "wrk" and not args.batch:
            registrants = max(registrants, codes_needed(args, paths))
        seed = st.seed(args.clients, registrants)
        st._close_django_connections()
        bases = start_servers(args, paths, env, log, servers)
        print(f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs")
        if args.batch:
            return run_batches(
                args,
                bases.get("/gateway/v1/scan") or next(iter(bases.values())),
                seed,
                db_url,
                [s.pid for s in servers],
            )
        run = run_wrk if driver(args) == "wrk" else run_threads
        return run(args, paths, bases, seed, db_url, [s.pid for s in servers])
    finally:
        for server in servers:
            st.stop_server(server)
        st._close_django_connections()
        st.drop_database(args.database_url, dbname)
        log.close()
        os.unlink(log.name)


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
    cpu0 = st.CpuSnapshot.take()
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        http.post("/gateway/v1/scan/batch", json={"items": []})  # connect; a 400
        start = time.perf_counter()
        for batch in batches:
            r = http.post("/gateway/v1/scan/batch", json=batch)
            r.raise_for_status()
            applied += r.json()["applied"]
        elapsed = time.perf_counter() - start
        replay = http.post("/gateway/v1/scan/batch", json=batches[0]).json()
    cpu1 = st.CpuSnapshot.take()
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
