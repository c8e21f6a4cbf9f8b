"""The scan load drivers: httpx client threads (one token each), and wrk
with bench/wrk_scan.lua. Every request is a desk scan of a fresh code."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.harness.cpu import CpuSnapshot, calibration_ms
from bench.harness.seeding import Seed

WRK_SCRIPT = Path(__file__).resolve().parents[1] / "wrk_scan.lua"
WRK_THREADS = 2


@dataclass
class ClientLog:
    """What one client did: (end time, latency s, outcome) per request."""

    requests: list[tuple[float, float, str]] = field(default_factory=list)
    ok_codes: list[str] = field(default_factory=list)
    other_codes: list[str] = field(default_factory=list)  # outcome unknown to the DB check
    exhausted: bool = False


def outcome_of(response: httpx.Response) -> str:
    """'ok' for 200 with changed=true and status checked_in; else a label."""
    if response.status_code != 200:
        return str(response.status_code)
    try:
        body = response.json()
    except ValueError:
        return "200-not-json"
    if body.get("changed") is True and body.get("status") == "checked_in":
        return "ok"
    return "200-unchanged"


def client_loop(
    base_url: str,
    path: str,
    token: str,
    codes,
    timeout: float,
    start: threading.Event,
    stop: threading.Event,
    log: ClientLog,
    event_id: int,
) -> None:
    """Scan `codes` (of event `event_id`) one after another until `stop` is set."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=timeout) as http:
        start.wait()
        for code in codes:
            if stop.is_set():
                return
            t0 = time.perf_counter()
            try:
                body = {"code": code, "mode": "desk", "event": event_id}
                outcome = outcome_of(http.post(path, json=body))
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__
            t1 = time.perf_counter()
            log.requests.append((t1, t1 - t0, outcome))
            (log.ok_codes if outcome == "ok" else log.other_codes).append(code)
        log.exhausted = True


def _clients(base, path, tokens, codes, timeout, event_id, start, stop):
    logs = [ClientLog() for _ in tokens]
    threads = [
        threading.Thread(
            target=client_loop,
            args=(base, path, tokens[i], codes[i], timeout, start, stop, logs[i], event_id),
            name=f"client-{i}",
            daemon=True,
        )
        for i in range(len(tokens))
    ]
    for t in threads:
        t.start()
    return logs, threads


@dataclass
class LoadRun:
    """One scan_throughput.py run: the clients' logs and what framed them."""

    logs: list[ClientLog]
    window: tuple[float, float]  # perf_counter start and end of the measured part
    cpu: tuple[CpuSnapshot, CpuSnapshot]
    server_pid: int
    loadavg_before: float
    calibration_ms: float
    interrupted: bool = False


def run_load(args: argparse.Namespace, base_url: str, seed_: Seed, server_pid: int) -> LoadRun:
    """Run --clients clients for --warmup + --seconds; measure the last --seconds."""
    start, stop = threading.Event(), threading.Event()
    tokens = seed_.tokens[: args.clients]
    logs, threads = _clients(
        base_url, args.path, tokens, seed_.codes, args.timeout, seed_.event_id, start, stop
    )
    time.sleep(0.5)  # let every client build its httpx.Client first
    interrupted = False
    loadavg = round(os.getloadavg()[0], 2)
    calibration = calibration_ms()
    t_start = time.perf_counter()
    start.set()
    try:
        time.sleep(args.warmup)
        w0, cpu0 = time.perf_counter(), CpuSnapshot.take()
        time.sleep(args.seconds)
        w1, cpu1 = time.perf_counter(), CpuSnapshot.take()
    except KeyboardInterrupt:
        interrupted = True
        w0, w1 = t_start, time.perf_counter()
        cpu0 = cpu1 = CpuSnapshot.take()
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=args.timeout + 5)
    return LoadRun(logs, (w0, w1), (cpu0, cpu1), server_pid, loadavg, calibration, interrupted)


def drive(base: str, path: str, tokens, iters, seconds: float, timeout: float, event_id: int):
    """One timed run of the client threads, each scanning from its iterator:
    (logs, seconds, cpu snapshots)."""
    start, stop = threading.Event(), threading.Event()
    logs, threads = _clients(base, path, tokens, iters, timeout, event_id, start, stop)
    time.sleep(0.3)
    cpu0 = CpuSnapshot.take()
    t0 = time.perf_counter()
    start.set()
    time.sleep(seconds)
    stop.set()
    t1 = time.perf_counter()
    cpu1 = CpuSnapshot.take()
    for t in threads:
        t.join(timeout=timeout + 5)
    return logs, t1 - t0, (cpu0, cpu1)


def driver(args: argparse.Namespace) -> str:
    """The load generator --driver picks: auto is wrk when it is installed."""
    chosen = getattr(args, "driver", "auto")
    if chosen == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    return chosen


def drive_wrk(
    base: str, path: str, tokens, codes: list[str], seconds: float, clients: int, event_id: int
) -> tuple[dict[str, Any], float, tuple[CpuSnapshot, CpuSnapshot]]:
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
            "wrk", f"-t{WRK_THREADS}", f"-c{clients}", f"-d{max(1, round(seconds))}s",
            "--timeout", "30s", "-s", str(WRK_SCRIPT), base,
        ]  # fmt: skip
        cpu0 = CpuSnapshot.take()
        t0 = time.perf_counter()
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
        elapsed = time.perf_counter() - t0
        cpu1 = CpuSnapshot.take()
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    result = json.loads(line[4:])
    return result, result["duration_us"] / 1e6 or elapsed, (cpu0, cpu1)
