#!/usr/bin/env python
"""Scan throughput: desk check-ins per second through the real HTTP stack.

    .venv/bin/python bench/scan_throughput.py [--seconds 30] [--clients 16]
        [--workers 2] [--database-url URL] [--path /api/v1/scan/]

One command does everything, and undoes it:

1. creates a fresh PostgreSQL database (rd_bench_<pid>) on the server of
   --database-url, migrates it, and seeds one event with --registrants
   registrants (each with its creation history row) and one checkin_staff
   user with an API token per client;
2. counts the SQL queries of one scan request in-process (Django's
   CaptureQueriesContext), with the token cache warm as in steady state;
3. starts gunicorn (sync workers) serving config.wsgi:application on a free
   loopback port, with DATABASE_URL at the bench database and REDIS_URL at
   Redis, so tokens and the throttle are cached as in production;
4. drives it with --clients threads, one httpx.Client each, every client
   POSTing `{"code": <a code nobody scanned yet>, "mode": "desk", "event": <id>}` with
   `Authorization: Bearer <its token>` for --warmup + --seconds seconds;
   only the last --seconds count;
5. prints scans/s, latency percentiles, errors by status, CPU per scan, and
   one JSON line of the figures (also saved under bench/results/);
6. checks the database: every successful scan wrote exactly one history row
   (registered -> checked_in, source scan, the client's user as actor), every
   scanned registrant is checked_in, nothing else changed, and every
   registrant's status equals its newest history row (invariant I1);
7. stops the server and drops the database, also on Ctrl-C or an error.

Every desk scan of a fresh code is a real change (UPDATE + history INSERT).
Anything but `200` with `changed: true` is counted as an error.

The per-user scan throttle (SCAN_THROTTLE_RATE, 1200/min by default) would
cap 16 users at 320 scans/s, so the server runs with --throttle-rate
(1000000/min unless told otherwise): the throttle's cache round trips still
happen on every request, it just never refuses.

Exit status: 0 all good; 1 invariant violations; 2 the run had errors (or ran
out of codes) but the database is consistent; 3 setup failed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO / "bench" / "results"
DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:55432/"
DEFAULT_REDIS_URL = "redis://127.0.0.1:56379/9"
NOISY_OTHER_PCT = 15  # other processes' CPU share that makes a run suspect
PROBE_SCANS = 3  # in-process scans whose queries are counted


# --- Arguments -------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; every default is the setting docs/benchmarks.md reports."""
    p = argparse.ArgumentParser(
        description="Benchmark desk scans through gunicorn + Django + PostgreSQL.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--seconds", type=float, default=30.0, help="measured duration")
    p.add_argument("--warmup", type=float, default=3.0, help="unmeasured lead-in")
    p.add_argument("--clients", type=int, default=16, help="concurrent clients (threads)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    p.add_argument(
        "--gateway-workers",
        type=int,
        default=1,
        help="uvicorn workers for gateway paths (--paths, --batch): one event loop "
        "per core that PostgreSQL does not need; on two shared cores, 1 "
        "(docs/benchmarks.md)",
    )
    p.add_argument(
        "--database-url",
        default=DEFAULT_SERVER_URL,
        help="PostgreSQL server to create the throwaway database on (its path is ignored)",
    )
    p.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="REDIS_URL for the server")
    p.add_argument("--path", default="/api/v1/scan/", help="scan endpoint to POST to")
    p.add_argument(
        "--paths",
        default="",
        help="compare endpoints in one run, alternating (bench/scan_compare.py), e.g. "
        "/api/v1/scan/,/gateway/v1/scan; gateway paths are served by uvicorn gateway.main:app",
    )
    p.add_argument("--rounds", type=int, default=4, help="alternating rounds with --paths")
    p.add_argument(
        "--driver",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="load generator with --paths: wrk (C, bench/wrk_scan.lua; auto picks it when "
        "installed) or python (httpx threads)",
    )
    p.add_argument(
        "--wrk-max-rate",
        type=float,
        default=4000.0,
        help="with wrk: fresh codes handed to each run per second of it (more seeding)",
    )
    p.add_argument(
        "--batch",
        action="store_true",
        help="time --batches x 500 offline scans through /gateway/v1/scan/batch",
    )
    p.add_argument("--batches", type=int, default=20, help="batches of 500 with --batch")
    p.add_argument(
        "--registrants",
        type=int,
        default=60_000,
        help="codes to seed; a client that runs out stops (reported as an error)",
    )
    p.add_argument(
        "--throttle-rate",
        default="1000000/min",
        help="SCAN_THROTTLE_RATE for the server; 'app' keeps the application's default",
    )
    p.add_argument("--timeout", type=float, default=30.0, help="per-request timeout, seconds")
    p.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    p.add_argument("--no-save", action="store_true", help="do not write bench/results/*.json")
    args = p.parse_args(argv)
    if args.clients < 1 or args.workers < 1 or args.seconds <= 0:
        p.error("--clients, --workers and --seconds must be positive")
    return args


# --- The throwaway database ----------------------------------------------------------


def database_url(server_url: str, dbname: str) -> str:
    """`server_url` with its database name replaced by `dbname`."""
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, ""))


def psycopg_conninfo(url: str) -> str:
    """psycopg accepts postgresql:// URLs; Django's env.db also takes postgres://."""
    return "postgresql://" + url.split("://", 1)[1] if "://" in url else url


def create_database(server_url: str, dbname: str) -> str:
    """Create an empty database; returns the server's version string."""
    admin = database_url(server_url, "postgres")
    with psycopg.connect(psycopg_conninfo(admin), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        row = conn.execute("SHOW server_version").fetchone()
    return row[0] if row else "?"


def drop_database(server_url: str, dbname: str) -> None:
    """Drop the database, disconnecting whoever is still connected (PG 13+)."""
    admin = database_url(server_url, "postgres")
    with psycopg.connect(psycopg_conninfo(admin), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
        )


# --- Django, in this process (setup, seeding, query count) ---------------------------


def app_environment(args: argparse.Namespace, db_url: str) -> dict[str, str]:
    """The environment both this process and the server run Django with."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": db_url,
        "REDIS_URL": args.redis_url,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    if args.throttle_rate != "app":
        env["SCAN_THROTTLE_RATE"] = args.throttle_rate
    return env


def setup_django(env: dict[str, str]) -> None:
    """Configure Django in this process against the bench database."""
    os.environ.update(env)
    # WhiteNoise warns that collectstatic never ran; the API does not care.
    warnings.filterwarnings("ignore", message="No directory at")
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django

    django.setup()


@dataclass
class Seed:
    """What the seeding created: who scans which codes, in which event."""

    event_id: int
    tokens: list[str]  # one per client
    user_ids: list[int]  # one per client
    codes: list[list[str]]  # per client, each code scanned at most once
    probe_codes: list[str]


def seed(clients: int, registrants: int) -> Seed:
    """Migrate, then create the event, registrants (with creation history),
    companies and one checkin_staff user with a token per client."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from accounts.tokens import token_create
    from registrants.lifecycle import Status
    from registrants.models import Company, Event, GuestType, Registrant, Source
    from registrants.normalization import normalize_company_name
    from registrants.roles import CHECKIN_STAFF, sync_role_groups
    from registrants.sql.bulk import insert_seeded

    call_command("migrate", interactive=False, verbosity=0)
    total = registrants + PROBE_SCANS
    with transaction.atomic():
        if not Group.objects.filter(name=CHECKIN_STAFF).exists():
            sync_role_groups()
        group = Group.objects.get(name=CHECKIN_STAFF)
        user_ids, tokens = [], []
        for i in range(clients):
            # No password: hashing one costs ~0.3 s and the API uses tokens.
            user = get_user_model().objects.create_user(
                username=f"bench-staff-{i:02d}", first_name="Bench", last_name=f"Staff {i}"
            )
            user.groups.add(group)
            user_ids.append(user.pk)
            tokens.append(token_create(user=user)[1])
        event = Event.objects.create(
            name="Benchmark conference", date=dt.date(2026, 11, 26), capacity=total
        )
        companies = Company.objects.bulk_create(
            Company(
                name=f"Bench Company {i}",
                normalized_name=normalize_company_name(f"Bench Company {i}"),
            )
            for i in range(50)
        )
        guest_types = list(GuestType.values)
        people = [
            Registrant(
                event=event,
                name=f"Guest {i}",
                email=f"guest{i}@bench.example",
                guest_type=guest_types[i % len(guest_types)],
                # Every fifth without a company, as in real lists.
                company=companies[i % len(companies)] if i % 5 else None,
            )
            for i in range(total)
        ]
        now = timezone.now()
        creation = [("", Status.REGISTERED, now, Source.IMPORT)]
        insert_seeded(people, [creation] * total, batch_size=5000)
    codes = [r.check_in_code for r in people]
    probe, rest = codes[:PROBE_SCANS], codes[PROBE_SCANS:]
    return Seed(
        event_id=event.pk,
        tokens=tokens,
        user_ids=user_ids,
        codes=[rest[i::clients] for i in range(clients)],
        probe_codes=probe,
    )


def count_scan_queries(token: str, path: str, codes: list[str], event_id: int) -> dict[str, Any]:
    """Scan `codes` in-process (Django test client, same settings and Redis)
    and count each request's SQL queries. The first request fills the token
    cache; the last one is the steady state every benchmark request sees.

    Not counted: the `SELECT 1` health check Django sends at the start of
    each request when CONN_HEALTH_CHECKS is on (it bypasses the cursor
    wrappers); it is added as a separate figure.
    """
    from django.conf import settings
    from django.db import connection, connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"authorization": f"Bearer {token}"})
    counts, statuses, last_sql = [], [], []
    for code in codes:
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(
                path,
                {"code": code, "mode": "desk", "event": event_id},
                content_type="application/json",
            )
        counts.append(len(ctx.captured_queries))
        statuses.append(response.status_code)
        last_sql = [q["sql"] for q in ctx.captured_queries]
    connections.close_all()
    health_check = bool(settings.DATABASES["default"].get("CONN_HEALTH_CHECKS"))
    return {
        "per_request": counts,
        "statuses": statuses,
        "steady_state": counts[-1] if counts else None,
        "health_check_select_1": 1 if health_check else 0,
        "steady_state_sql": last_sql,
    }


# --- The server ----------------------------------------------------------------------


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _spawn(cmd: list[str], env: dict[str, str], log) -> subprocess.Popen:
    """A server in its own session, so that Ctrl-C reaches only this script,
    which then stops it in order."""
    return subprocess.Popen(
        cmd,
        cwd=REPO,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def start_server(workers: int, port: int, env: dict[str, str], log) -> subprocess.Popen:
    """gunicorn with sync workers serving config.wsgi (the DRF path)."""
    cmd = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--worker-class", "sync",
        "--chdir", str(REPO),
        "--log-level", "warning",
        "--backlog", "2048",
    ]  # fmt: skip
    return _spawn(cmd, env, log)


def start_uvicorn(app: str, workers: int, port: int, env: dict[str, str], log) -> subprocess.Popen:
    """uvicorn serving `app` (config.asgi:application, gateway.main:app)."""
    cmd = [
        sys.executable, "-m", "uvicorn", app,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", str(workers),
        "--no-access-log",
        "--log-level", "warning",
        "--backlog", "2048",
    ]  # fmt: skip
    return _spawn(cmd, env, log)


def wait_until_answering(
    base_url: str, path: str, server: subprocess.Popen, timeout: float = 60
) -> None:
    """Block until the server answers HTTP on `path` (any status will do)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode}")
        try:
            httpx.get(base_url + path, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s")


def stop_server(server: subprocess.Popen) -> None:
    """SIGTERM (graceful), then SIGKILL to the whole session after 10 s."""
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=5)


# --- CPU accounting -------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


SERVICE_COMMANDS = frozenset({"postgres", "redis-server"})
# The bench's own database: other databases' backends on the same server
# (another engineer's tests, say) are not the services' cost of these scans.
BENCH_DATABASE: list[str] = []


def _other_database_backend(pid: int) -> bool:
    """A PostgreSQL backend serving a database other than the bench's. Its
    title is "postgres: user dbname host(port) state"; the server's own
    processes (walwriter, checkpointer, ...) have no host and are counted."""
    if not BENCH_DATABASE:
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            title = f.read().decode(errors="replace")
    except OSError:
        return False
    return "(" in title and f" {BENCH_DATABASE[0]} " not in title


def process_cpu_seconds() -> dict[int, tuple[int, str, float]]:
    """pid -> (ppid, command name, user + system CPU seconds) of every process."""
    found: dict[int, tuple[int, str, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # exited while we looked
        # The command name may contain spaces; the fields after the last ')' do not.
        head, tail = stat.rsplit(")", 1)
        rest = tail.split()
        cpu = (int(rest[11]) + int(rest[12])) / CLOCK_TICKS
        found[int(entry)] = (int(rest[1]), head.split("(", 1)[1], cpu)
    return found


@dataclass
class CpuSnapshot:
    """CPU seconds used so far: the machine, and per process of interest."""

    machine_busy: float
    machine_total: float
    processes: dict[int, tuple[int, str, float]]

    @classmethod
    def take(cls) -> CpuSnapshot:
        busy, total = machine_cpu_seconds()
        return cls(busy, total, process_cpu_seconds())


def cpu_split(before: CpuSnapshot, after: CpuSnapshot, server_pid: int) -> dict[str, float]:
    """CPU seconds spent between two snapshots by the server (gunicorn and its
    workers), the load generator (this process), PostgreSQL + Redis (the
    server's own processes and the bench database's backends) and the rest."""
    split = {"machine": after.machine_busy - before.machine_busy, "server": 0.0}
    split.update(client=0.0, services=0.0, capacity=after.machine_total - before.machine_total)
    for pid, (ppid, name, cpu) in after.processes.items():
        used = cpu - before.processes.get(pid, (0, "", 0.0))[2]
        if pid == server_pid or ppid == server_pid:
            split["server"] += used
        elif pid == os.getpid():
            split["client"] += used
        elif name in SERVICE_COMMANDS and not _other_database_backend(pid):
            split["services"] += used
    split["other"] = split["machine"] - split["server"] - split["client"] - split["services"]
    return split


def calibration_ms(rounds: int = 5) -> float:
    """CPU milliseconds of a fixed pure-Python loop (the best of `rounds`):
    how fast this machine runs Python right now, to compare runs across
    machines or days."""
    best = math.inf
    for _ in range(rounds):
        t = time.process_time()
        sum(i * i for i in range(200_000))
        best = min(best, time.process_time() - t)
    return round(best * 1000, 2)


# --- The load ----------------------------------------------------------------------------


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
    codes: list[str],
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


@dataclass
class LoadRun:
    logs: list[ClientLog]
    window: tuple[float, float]  # perf_counter start and end of the measured part
    cpu: tuple[CpuSnapshot, CpuSnapshot]
    server_pid: int
    loadavg_before: float
    calibration_ms: float
    interrupted: bool = False


def run_load(args: argparse.Namespace, base_url: str, seed_: Seed, server_pid: int) -> LoadRun:
    """Run the clients for warmup + seconds; measure the last `seconds`."""
    start, stop = threading.Event(), threading.Event()
    logs = [ClientLog() for _ in range(args.clients)]
    threads = [
        threading.Thread(
            target=client_loop,
            args=(
                base_url,
                args.path,
                seed_.tokens[i],
                seed_.codes[i],
                args.timeout,
                start,
                stop,
                logs[i],
                seed_.event_id,
            ),
            name=f"client-{i}",
            daemon=True,
        )
        for i in range(args.clients)
    ]
    for t in threads:
        t.start()
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


# --- Figures ------------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def pct(part: float, whole: float) -> float | None:
    """`part` as a percentage of `whole`, one decimal."""
    return round(100 * part / whole, 1) if whole else None


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


# --- Correctness -----------------------------------------------------------------------------


def verify(
    db_url: str, event_id: int, expected: dict[str, int], unknown: set[str]
) -> tuple[list[str], int]:
    """Check the database against what the clients were told.

    `expected` maps each code answered `changed: true` to the user id that
    scanned it; `unknown` holds codes whose request failed (they may or may
    not have changed, but must be consistent either way). Returns
    (violations, history rows written by scans).
    """
    from registrants.models import Registrant, StatusChange

    query = sql.SQL(
        """
        SELECT r.check_in_code, r.status, h.newest, h.moves, h.scan_actors
        FROM {registrant} r
        LEFT JOIN LATERAL (
            SELECT (array_agg(c.to_status ORDER BY c.id DESC))[1] AS newest,
                   count(*) FILTER (WHERE c.from_status <> '') AS moves,
                   array_agg(c.actor_id) FILTER (
                       WHERE c.from_status = 'registered' AND c.to_status = 'checked_in'
                         AND c.source = 'scan') AS scan_actors
            FROM {change} c WHERE c.registrant_id = r.id
        ) h ON true
        WHERE r.event_id = %s
        """
    ).format(
        registrant=sql.Identifier(Registrant._meta.db_table),
        change=sql.Identifier(StatusChange._meta.db_table),
    )
    problems: list[str] = []
    written = 0
    seen: set[str] = set()
    with psycopg.connect(psycopg_conninfo(db_url)) as conn:
        rows = conn.execute(query, (event_id,)).fetchall()
    for code, status, newest, moves, scan_actors in rows:
        seen.add(code)
        written += moves
        tag = f"code {code[:8]}…"
        if newest is None:
            problems.append(f"{tag}: no history at all")
        elif status != newest:
            problems.append(f"{tag}: I1 status {status} but newest history row says {newest}")
        if code in expected:
            if status != "checked_in":
                problems.append(f"{tag}: answered changed=true but status is {status}")
            if moves != 1 or scan_actors != [expected[code]]:
                problems.append(
                    f"{tag}: expected one scan row by user {expected[code]}, "
                    f"found {moves} moves, scan actors {scan_actors}"
                )
        elif code in unknown:
            if (status, moves) not in {("registered", 0), ("checked_in", 1)}:
                problems.append(f"{tag}: failed request left status {status} with {moves} moves")
        elif status != "registered" or moves:
            problems.append(f"{tag}: never scanned, yet status {status} with {moves} moves")
    missing = set(expected) - seen
    if missing:
        problems.append(f"{len(missing)} scanned codes are not in the event any more")
    if len(problems) > 20:
        problems = [*problems[:20], f"... and {len(problems) - 20} more"]
    return problems, written


# --- Output -----------------------------------------------------------------------------------


def print_report(result: dict[str, Any]) -> None:
    """The human-readable summary, then one JSON line."""
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
    print("RESULT " + json.dumps(result, sort_keys=True, separators=(",", ":")))


def save(result: dict[str, Any], bench: str = "scan_throughput") -> Path:
    """Write the figures to bench/results/ (git-ignored), named after `bench`."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{bench}-{stamp}-{os.getpid()}.json"
    path.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    return path


def redact(url: str) -> str:
    """A URL without its password."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    if len(netloc) == 2 and ":" in netloc[0]:
        netloc[0] = netloc[0].split(":", 1)[0] + ":***"
    return urlunsplit((parts.scheme, "@".join(netloc), parts.path, parts.query, ""))


# --- Main -----------------------------------------------------------------------------------------


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Set up, run, report, verify, tear down."""
    args = parse_args(argv)
    if args.paths or args.batch:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import scan_compare

        return scan_compare.main(args)
    # Also when started in the background, where SIGINT may arrive ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    dbname = f"rd_bench_{os.getpid()}"
    BENCH_DATABASE[:] = [dbname]
    db_url = database_url(args.database_url, dbname)
    env = app_environment(args, db_url)
    server: subprocess.Popen | None = None
    created = False
    log = tempfile.NamedTemporaryFile(prefix="scan_bench_gunicorn_", suffix=".log", delete=False)
    try:
        print(f"creating database {dbname} ...", flush=True)
        pg_version = create_database(args.database_url, dbname)
        created = True
        setup_django(env)
        t = time.perf_counter()
        seed_ = seed(args.clients, args.registrants)
        print(f"seeded {args.registrants + PROBE_SCANS} registrants, {args.clients} users "
              f"in {time.perf_counter() - t:.1f} s", flush=True)  # fmt: skip
        queries = count_scan_queries(seed_.tokens[0], args.path, seed_.probe_codes, seed_.event_id)
        if any(code != 200 for code in queries["statuses"]):
            print(f"in-process probe scans answered {queries['statuses']}", file=sys.stderr)
            return 3

        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        server = start_server(args.workers, port, env, log)
        wait_until_answering(base_url, args.path, server)
        print(
            f"gunicorn up on {base_url}; {args.warmup:g} s warm-up + {args.seconds:g} s ...",
            flush=True,
        )
        run = run_load(args, base_url, seed_, server.pid)
        stop_server(server)
        log.flush()
        server_log = summarize_log(log.name)

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
            "figures": figures(run),
            "queries": queries,
            "server_log": server_log,
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
                "database": redact(db_url),
                "postgres": pg_version,
                "redis": redact(args.redis_url),
                "gunicorn": _version("gunicorn"),
                "django": django.get_version(),
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "machine": platform.machine(),
                "interrupted": run.interrupted,
            },
        }
        print_report(result)
        if not args.no_save:
            print(f"saved {save(result).relative_to(REPO)}")
        if violations:
            return 1
        return 2 if result["figures"]["errors_whole_run"] or run.interrupted else 0
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up", file=sys.stderr)
        return 130
    except Exception as exc:
        print(f"benchmark failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        _print_server_log(log.name)
        return 3
    finally:
        if server is not None:
            stop_server(server)
        if created:
            _close_django_connections()
            if args.keep_db:
                print(f"kept database {dbname}")
            else:
                drop_database(args.database_url, dbname)
                print(f"dropped database {dbname}")
        log.close()
        os.unlink(log.name)


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def _close_django_connections() -> None:
    """Close this process's Django connections, if Django was set up."""
    if "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()


def summarize_log(path: str, keep: int = 5) -> dict[str, Any]:
    """How many lines gunicorn and Django logged, and the most frequent ones
    (timestamps and pids stripped), so that a warning per request shows."""
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return {"lines": 0, "top": []}
    # "2026-11-26 12:00:00,123 WARNING name message" / "[...] [pid] [LEVEL] message"
    shapes = Counter(re.sub(r"^(\S+ \S+ |\[[^]]*\] \[\d+\] )", "", line)[:160] for line in lines)
    return {"lines": len(lines), "top": [[n, text] for text, n in shapes.most_common(keep)]}


def _print_server_log(path: str, lines: int = 40) -> None:
    """The tail of gunicorn's log, to explain a failure."""
    try:
        tail = Path(path).read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return
    if tail:
        print("--- gunicorn log (tail) ---", file=sys.stderr)
        print("\n".join(tail), file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
