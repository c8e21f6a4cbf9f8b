"""The paths of scan_compare.py (scan_throughput.py --paths, --batch): the
scan paths taking turns under one load generator, and the offline batches."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

import httpx

from bench.harness.cpu import CpuSnapshot, other_share, server_and_services
from bench.harness.load import drive, drive_wrk
from bench.harness.stats import summarise, weighted_percentile


def url_path(label: str) -> str:
    """The path a --paths entry posts to: `/api/v1/scan/`, or after its
    server's name (`wsgi:/api/v1/scan/`, scan_compare.SERVERS)."""
    return label.split(":", 1)[-1]


def codes_needed(args, paths: list[str]) -> int:
    """Registrants to seed so that no wrk run can run dry: every run gets
    --wrk-max-rate x its seconds fresh codes (unused ones are not reused)."""
    runs = args.warmup + args.seconds
    return int(len(paths) * (args.wrk_max_rate * runs + 200 * (args.rounds + 1)))


def alternate_threads(args, paths, bases, seed, pids: list[int]) -> tuple[dict[str, Any], str]:
    """The paths take turns, --clients httpx threads each: (figures per path, how)."""
    iters = {
        p: [iter(seed.codes[i][k :: len(paths)]) for i in range(args.clients)]
        for k, p in enumerate(paths)
    }
    totals = {p: {"samples": [], "ok": 0, "seconds": 0.0, "errors": 0, "other": []} for p in paths}
    # Warm each path (caches, pools, prepared statements), unmeasured.
    for path in paths:
        drive(
            bases[path],
            url_path(path),
            seed.tokens,
            iters[path],
            args.warmup,
            args.timeout,
            seed.event_id,
        )
    per_round = args.seconds / args.rounds
    for _ in range(args.rounds):
        for path in paths:
            logs, seconds, cpu = drive(
                bases[path],
                url_path(path),
                seed.tokens,
                iters[path],
                per_round,
                args.timeout,
                seed.event_id,
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
    return figures, f"{args.clients} httpx client threads"


def alternate_wrk(args, paths, bases, seed, pids: list[int]) -> tuple[dict[str, Any], str]:
    """The paths take turns, wrk driving --clients connections: (figures per path, how).
    Prints each round's figures as it goes."""
    pool = iter([c for per_client in seed.codes for c in per_client])

    def fresh(seconds: float) -> list[str]:
        n = int(args.wrk_max_rate * seconds) + 200
        return [c for _, c in zip(range(n), pool, strict=False)]

    for path in paths:  # warm caches, pools and prepared statements, unmeasured
        drive_wrk(
            bases[path],
            url_path(path),
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
                url_path(path),
                seed.tokens,
                fresh(per_round),
                per_round,
                args.clients,
                seed.event_id,
            )
            q = result["quantiles_us"]  # q[i] is the (i + 1) / 10 % quantile
            print(
                f"  round {n} {path:27} {result['requests'] / seconds:8.1f} scans/s"
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
    return figures, f"wrk, {args.clients} connections"


def offline_batches(args, base: str, seed, pids: list[int]) -> dict[str, Any]:
    """--batches batches of 500 offline desk scans, one after another, then
    batch 1 again: what was applied and replayed, and how long it took."""
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
    return {
        "scans": len(codes),
        "seconds": elapsed,
        "applied": applied,
        "replay": replay,
        "other_cpu_pct": other_share((cpu0, cpu1), pids),
    }
