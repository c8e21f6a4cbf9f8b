"""Latency statistics, and the figures of one scan_throughput.py run."""

from __future__ import annotations

import bisect
import math
from collections import Counter
from typing import Any

from bench.harness.cpu import cpu_split
from bench.harness.load import LoadRun


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


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


def pct(part: float, whole: float) -> float | None:
    """`part` as a percentage of `whole`, one decimal."""
    return round(100 * part / whole, 1) if whole else None


def rounded(value: float | None, digits: int = 1) -> float | None:
    """`value` rounded, None kept."""
    return None if value is None else round(value, digits)


def summarise(samples: list[float], ok: int, seconds: float) -> dict[str, Any]:
    """Scans/s, p50 and p99 (ms) of latency samples in seconds."""
    samples.sort()
    return {
        "scans_per_s": round(ok / seconds, 1) if seconds else 0,
        "scans": ok,
        "p50_ms": round(1000 * (percentile(samples, 0.50) or 0), 2),
        "p99_ms": round(1000 * (percentile(samples, 0.99) or 0), 2),
    }


def figures(run: LoadRun) -> dict[str, Any]:
    """Throughput, latency and errors of the requests that ended inside the
    measured window, and CPU per scan over that window."""
    w0, w1 = run.window
    seconds = w1 - w0
    in_window = [r for log in run.logs for r in log.requests if w0 <= r[0] <= w1]
    ok = sorted(lat for _, lat, outcome in in_window if outcome == "ok")
    errors = Counter(outcome for _, _, outcome in in_window if outcome != "ok")
    all_requests = [r for log in run.logs for r in log.requests]
    errors_all = Counter(outcome for _, _, outcome in all_requests if outcome != "ok")
    exhausted = sum(log.exhausted for log in run.logs)
    if exhausted:
        errors_all["codes_exhausted_clients"] = exhausted
    cpu = cpu_split(*run.cpu, server_pid=run.server_pid)

    def per_scan(seconds: float) -> float | None:
        return round(1000 * seconds / len(ok), 3) if ok else None

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 1)

    return {
        "scans_per_s": round(len(ok) / seconds, 1) if seconds > 0 else 0.0,
        "requests_per_s": round(len(in_window) / seconds, 1) if seconds > 0 else 0.0,
        "p50_ms": ms(percentile(ok, 0.50)),
        "p95_ms": ms(percentile(ok, 0.95)),
        "p99_ms": ms(percentile(ok, 0.99)),
        "max_ms": ms(ok[-1] if ok else None),
        "scans": len(ok),
        "errors": dict(errors),
        "errors_whole_run": dict(errors_all),
        "measured_s": round(seconds, 2),
        "machine_cpu_ms_per_scan": per_scan(cpu["machine"]),
        "server_cpu_ms_per_scan": per_scan(cpu["server"]),
        "client_cpu_ms_per_scan": per_scan(cpu["client"]),
        "services_cpu_ms_per_scan": per_scan(cpu["services"]),
        "other_cpu_ms_per_scan": per_scan(cpu["other"]),
        "machine_busy_pct": pct(cpu["machine"], cpu["capacity"]),
        "cpu_share_pct": {
            part: pct(cpu[part], cpu["capacity"])
            for part in ("server", "client", "services", "other")
        },
        "loadavg_before": run.loadavg_before,
        "calibration_ms": run.calibration_ms,
    }
