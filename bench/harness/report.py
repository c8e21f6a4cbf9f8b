"""Printing and saving the figures: scan_throughput.py's summary, a plain
table, and the JSON files under bench/results/."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from bench.harness.database import RESULTS_DIR

NOISY_OTHER_PCT = 15  # other processes' CPU share that makes a run suspect


def save(result: dict[str, Any], bench: str = "scan_throughput") -> Path:
    """Write the figures to bench/results/ (git-ignored), named after `bench`."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{bench}-{stamp}-{os.getpid()}.json"
    path.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    return path


def result_line(result: dict[str, Any]) -> str:
    """The one `RESULT {...}` line a benchmark prints last."""
    return "RESULT " + json.dumps(result, sort_keys=True, separators=(",", ":"))


def package_version(package: str) -> str:
    """An installed package's version, or "?"."""
    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def print_table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Rows under a header, cells joined by " | ", indented two spaces."""
    print("  " + " | ".join(header))
    for row in rows:
        print("  " + " | ".join(str(x) for x in row))


def print_scan_report(result: dict[str, Any]) -> None:
    """scan_throughput.py's human-readable summary, then one JSON line."""
    f, s = result["figures"], result["settings"]
    print()
    print(f"scan throughput  ({s['clients']} clients, {f['measured_s']} s measured)")
    if s["interrupted"]:
        print("  INTERRUPTED      partial run: the figures cover only what ran")
    print(f"  scans/s          {f['scans_per_s']}   (all requests/s {f['requests_per_s']})")
    print(
        f"  latency ms       p50 {f['p50_ms']}  p95 {f['p95_ms']}  p99 {f['p99_ms']}  max {f['max_ms']}"
    )
    print(f"  scans            {f['scans']} successful in the window")
    print(
        f"  errors           {f['errors'] or 'none'}  (whole run: {f['errors_whole_run'] or 'none'})"
    )
    print(
        f"  CPU ms/scan      machine {f['machine_cpu_ms_per_scan']} = gunicorn"
        f" {f['server_cpu_ms_per_scan']} + load generator {f['client_cpu_ms_per_scan']}"
        f" + PostgreSQL/Redis {f['services_cpu_ms_per_scan']} + other processes"
        f" {f['other_cpu_ms_per_scan']}"
    )
    share = f["cpu_share_pct"]
    print(
        f"  CPU busy %       {f['machine_busy_pct']} of {s['cpus']} CPUs: gunicorn {share['server']},"
        f" load generator {share['client']}, PostgreSQL/Redis {share['services']},"
        f" other {share['other']} (load average before: {f['loadavg_before']})"
    )
    print(
        f"  calibration      {f['calibration_ms']} ms CPU for a fixed Python loop (lower is faster)"
    )
    if (share["other"] or 0) > NOISY_OTHER_PCT:
        print(
            f"  WARNING          other processes used {share['other']} % of the CPUs during the"
            " run: these figures are not comparable with a run on a quiet machine"
        )
    q = result["queries"]
    print(
        f"  SQL per scan     {q['steady_state']} queries (+{q['health_check_select_1']} health-check"
        f" SELECT 1); first request with a cold token cache: {q['per_request'][0]}"
    )
    print(
        f"  server           gunicorn {s['gunicorn']} sync x{s['workers']}, Django {s['django']},"
        f" Python {s['python']}, settings {s['settings']}, throttle {s['throttle_rate']}"
    )
    print(f"  database         PostgreSQL {s['postgres']} {s['database']}; cache {s['redis']}")
    print(f"  machine          {s['cpus']} CPUs ({s['machine']}), load generator on the same CPUs")
    print(f"  path             POST {s['path']}")
    log = result["server_log"]
    print(f"  server log       {log['lines']} lines")
    for n, text in log["top"]:
        print(f"    {n:6d} x {text}")
    inv = result["invariants"]
    if inv["ok"]:
        print(
            f"invariants: ok ({inv['history_rows_written']} history rows for {inv['successful_scans']} scans)"
        )
    else:
        print("invariants: VIOLATED")
        for line in inv["violations"]:
            print("  -", line)
    print(result_line(result))
