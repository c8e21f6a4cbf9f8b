#!/usr/bin/env python
"""Live latency: from a status change's API answer to its arrival at every
open dashboard, through uvicorn + Channels + Redis.

    .venv/bin/python bench/live_latency.py [--clients 50,200] [--changes 500]
        [--concurrency 1] [--database-url URL] [--redis-url URL] [--workers 1]

One command does everything, and undoes it:

1. creates a fresh PostgreSQL database (rd_live_bench_<pid>) on the server of
   --database-url, migrates it (bench/scan_throughput.py's functions), and
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
import asyncio
import json
import multiprocessing as mp
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scan_throughput as st  # noqa: E402  (the bench database helpers)

REPO = st.REPO
if str(REPO) not in sys.path:  # testing.servers, the project's server helpers
    sys.path.insert(0, str(REPO))
RESULTS_DIR = st.RESULTS_DIR
SOCKETS_PER_PROCESS = 50
TARGET_P99_MS = 100.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
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
        default=st.DEFAULT_SERVER_URL,
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


# --- Seeding (in this process, Django against the bench database) ----------------------


def seed(rounds: int, changes: int, sessions: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import transaction

    from accounts.tokens import token_create
    from registrants import services
    from registrants.models import Event
    from registrants.roles import ORGANISER, VIEWER, sync_role_groups
    from testing.servers import session_cookie_for

    call_command("migrate", interactive=False, verbosity=0)
    with transaction.atomic():
        if not Group.objects.filter(name=VIEWER).exists():
            sync_role_groups()
        users = get_user_model().objects
        organiser = users.create_user(username="bench-organiser")
        organiser.groups.add(Group.objects.get(name=ORGANISER))
        viewer = users.create_user(username="bench-viewer")
        viewer.groups.add(Group.objects.get(name=VIEWER))
        token = token_create(user=organiser)[1]
        event = Event.objects.create(
            name="Live latency",
            date=datetime(2026, 11, 26, tzinfo=UTC).date(),
            capacity=rounds * changes + 10,
        )
    # Through the service, so each has its creation history row (as in life).
    ids = [
        services.registrant_register(
            event_id=event.pk,
            name=f"Guest {i}",
            email=f"guest{i}@bench.example",
            company_name=f"Company {i % 40}" if i % 5 else None,
        ).pk
        for i in range(rounds * changes)
    ]
    cookies = [session_cookie_for(viewer) for _ in range(sessions)]
    return {"event_id": event.pk, "token": token, "registrants": ids, "cookies": cookies}


# --- Websocket clients (separate processes) ------------------------------------------------


def client_process(
    ws_url: str, origin: str, cookies: list[str], expected: list[int], ready, stop, results
) -> None:
    """Open one socket per cookie; record (registrant id, arrival) per change."""
    import websockets

    wanted = set(expected)

    async def one(cookie: str, opened: list[int]) -> dict[str, Any]:
        arrivals: dict[int, float] = {}
        duplicates = 0
        dropped = None
        try:
            async with websockets.connect(
                ws_url,
                origin=origin,
                additional_headers={"Cookie": cookie},
                open_timeout=60,
                max_size=None,
                ping_interval=None,
            ) as ws:
                first = json.loads(await ws.recv())
                assert first["type"] == "numbers", first
                opened.append(1)
                while len(arrivals) < len(wanted) and not stop.is_set():
                    try:
                        raw = await asyncio.wait_for(ws.recv(), 0.5)
                    except TimeoutError:
                        continue
                    at = time.monotonic()
                    message = json.loads(raw)
                    if message.get("type") != "change" or message.get("kind") != "status":
                        continue
                    rid = message["registrant"]["id"]
                    if rid not in wanted:
                        continue
                    if rid in arrivals:
                        duplicates += 1
                    else:
                        arrivals[rid] = at
        except Exception as exc:  # reported as a dropped socket
            dropped = f"{type(exc).__name__}: {exc}"[:200]
        return {"arrivals": arrivals, "duplicates": duplicates, "dropped": dropped}

    async def main() -> list[dict[str, Any]]:
        opened: list[int] = []
        tasks = []
        for cookie in cookies:  # a few at a time: no handshake storm
            tasks.append(asyncio.ensure_future(one(cookie, opened)))
            await asyncio.sleep(0.01)
        while len(opened) < len(cookies) and not all(t.done() for t in tasks):
            await asyncio.sleep(0.05)
        ready.put(len(opened))
        return list(await asyncio.gather(*tasks))

    results.put(asyncio.run(main()))


# --- One round ------------------------------------------------------------------------------------


def api_changes(
    base: str, token: str, ids: list[int], concurrency: int
) -> tuple[dict[int, float], dict[int, float], list[str]]:
    """registered -> checked_in for each id; (sent, answered, errors)."""
    sent: dict[int, float] = {}
    answered: dict[int, float] = {}
    errors: list[str] = []
    lock = threading.Lock()
    local = threading.local()

    def client() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = httpx.Client(
                base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"}
            )
        return local.client

    def change(rid: int) -> None:
        t0 = time.monotonic()
        try:
            response = client().post(
                f"/api/v1/registrants/{rid}/transitions/", json={"to_status": "checked_in"}
            )
        except httpx.HTTPError as exc:
            with lock:
                errors.append(f"{rid}: {type(exc).__name__}")
            return
        t1 = time.monotonic()
        with lock:
            if response.status_code == 200:
                sent[rid], answered[rid] = t0, t1
            else:
                errors.append(f"{rid}: HTTP {response.status_code}")

    if concurrency == 1:
        for rid in ids:
            change(rid)
    else:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(change, ids))
    return sent, answered, errors


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile, q in per cent."""
    return st.percentile(sorted(values), q / 100)


def run_round(
    args, base: str, seed_: dict[str, Any], clients: int, ids: list[int]
) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    ready, results, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    ws_url = base.replace("http://", "ws://") + f"/ws/events/{seed_['event_id']}/"
    cookies = seed_["cookies"][:clients]
    groups = [cookies[i : i + SOCKETS_PER_PROCESS] for i in range(0, clients, SOCKETS_PER_PROCESS)]
    procs = [
        ctx.Process(
            target=client_process, args=(ws_url, base, g, ids, ready, stop, results), daemon=True
        )
        for g in groups
    ]
    for p in procs:
        p.start()
    opened = sum(ready.get(timeout=180) for _ in procs)
    if opened < clients:
        stop.set()
        raise RuntimeError(f"only {opened} of {clients} websockets opened")
    time.sleep(1.0)  # let the handshakes' work finish before measuring
    load_before = os.getloadavg()
    started = time.monotonic()
    sent, answered, errors = api_changes(base, seed_["token"], ids, args.concurrency)
    elapsed = time.monotonic() - started
    # Stragglers: the clients stop by themselves once they have everything.
    deadline = time.monotonic() + args.settle
    per_socket: list[dict[str, Any]] = []
    while len(per_socket) < clients and time.monotonic() < deadline + 60:
        if time.monotonic() > deadline:
            stop.set()
        try:
            per_socket += results.get(timeout=0.5)
        except queue.Empty:
            pass
    stop.set()
    for p in procs:
        p.join(timeout=10)
        if p.is_alive():
            p.kill()
    load_after = os.getloadavg()

    from_answer, from_request = [], []
    lost = lost_on_dropped = duplicates = 0
    dropped = [s["dropped"] for s in per_socket if s["dropped"]]
    for s in per_socket:
        duplicates += s["duplicates"]
        arrivals = {int(k): v for k, v in s["arrivals"].items()}
        missing = sum(1 for rid in answered if rid not in arrivals)
        if s["dropped"]:
            lost_on_dropped += missing
        else:
            lost += missing
        for rid, at in arrivals.items():
            if rid in answered:
                from_answer.append((at - answered[rid]) * 1000)
                from_request.append((at - sent[rid]) * 1000)
    missing_sockets = clients - len(per_socket)
    return {
        "clients": clients,
        "changes": len(ids),
        "changes_ok": len(answered),
        "api_errors": errors[:20],
        "api_error_count": len(errors),
        "api_changes_per_s": round(len(answered) / elapsed, 1) if elapsed else None,
        "api_p50_ms": _r(percentile([(answered[r] - sent[r]) * 1000 for r in answered], 50)),
        "deliveries": len(from_answer),
        "expected_deliveries": clients * len(answered),
        "lost": lost,
        "lost_on_dropped_sockets": lost_on_dropped,
        "dropped_sockets": len(dropped) + missing_sockets,
        "dropped_examples": dropped[:5],
        "duplicates": duplicates,
        "latency_from_answer_ms": {
            "p50": _r(percentile(from_answer, 50)),
            "p90": _r(percentile(from_answer, 90)),
            "p99": _r(percentile(from_answer, 99)),
            "max": _r(max(from_answer, default=None)),
            "min": _r(min(from_answer, default=None)),
            "negative_share": _r(100 * sum(1 for x in from_answer if x < 0) / len(from_answer))
            if from_answer
            else None,
        },
        "latency_from_request_ms": {
            "p50": _r(percentile(from_request, 50)),
            "p99": _r(percentile(from_request, 99)),
        },
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in load_after],
    }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --- Servers --------------------------------------------------------------------------------------


def wait_until_answering(base: str, server: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"uvicorn exited with status {server.returncode}")
        try:
            httpx.get(base + "/api/v1/events/", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"uvicorn did not answer within {timeout:.0f} s")


# --- Report -----------------------------------------------------------------------------------------


def print_report(result: dict[str, Any]) -> None:
    print()
    print(
        f"live latency: uvicorn ({result['workers']} worker) + Channels + Redis pub/sub, "
        f"{result['changes']} changes per round, concurrency {result['concurrency']}"
    )
    print(
        f"  cpus {os.cpu_count()}, python {sys.version.split()[0]}, "
        f"postgres {result['postgres']}, redis {result['redis']}"
    )
    header = (
        "clients",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "lost",
        "dropped",
        "api/s",
        "load avg (1/5/15) before -> after",
    )
    print("  " + " | ".join(header))
    for r in result["rounds"]:
        lat = r["latency_from_answer_ms"]
        print(
            "  "
            + " | ".join(
                str(x)
                for x in (
                    r["clients"],
                    lat["p50"],
                    lat["p90"],
                    lat["p99"],
                    lat["max"],
                    r["lost"],
                    r["dropped_sockets"],
                    r["api_changes_per_s"],
                    f"{'/'.join(map(str, r['loadavg_before']))} -> {'/'.join(map(str, r['loadavg_after']))}",
                )
            )
        )
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
    print("RESULT " + json.dumps(result, sort_keys=True, separators=(",", ":")))


# --- Main ---------------------------------------------------------------------------------------------


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:  # noqa: C901  (setup and teardown in one place)
    args = parse_args(argv)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    dbname = f"rd_live_bench_{os.getpid()}"
    db_url = st.database_url(args.database_url, dbname)
    redis_server = server = None
    log = tempfile.NamedTemporaryFile(prefix="live-bench-uvicorn-", suffix=".log", delete=False)  # noqa: SIM115
    created = False
    outcome = 3
    try:
        try:
            postgres_version = st.create_database(args.database_url, dbname)
            created = True
            if args.redis_url:
                redis_url = args.redis_url
            else:
                from testing.servers import RedisServer

                redis_server = RedisServer()
                redis_server.start()
                redis_url = redis_server.url
            env = {
                "DJANGO_SETTINGS_MODULE": "config.settings.base",
                "DATABASE_URL": db_url,
                "REDIS_URL": redis_url,
                "DEBUG": "false",
                "LOG_LEVEL": "WARNING",
            }
            st.setup_django(env)
            print(
                f"seeding {dbname}: {len(args.rounds) * args.changes} registrants, "
                f"{max(args.rounds)} sessions…",
                flush=True,
            )
            seed_ = seed(len(args.rounds), args.changes, max(args.rounds))
            from django.db import connections

            connections.close_all()
            port = st.free_port()
            base = f"http://127.0.0.1:{port}"
            server = st.start_uvicorn("config.asgi:application", args.workers, port, env, log)
            wait_until_answering(base, server)
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
            "redis_url": st.redact(redis_url),
            "database_url": st.redact(args.database_url),
            "rounds": rounds,
        }
        print_report(result)
        if not args.no_save:
            print(f"saved {st.save(result, 'live_latency')}")
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
            st.stop_server(server)
        if redis_server is not None:
            redis_server.close()
        if created and not args.keep_db:
            if "django.db" in sys.modules:
                sys.modules["django.db"].connections.close_all()
            st.drop_database(args.database_url, dbname)
        log.close()
        if outcome and os.path.getsize(log.name):
            print("server log (tail):", Path(log.name).read_text(errors="replace")[-2000:])
        os.unlink(log.name)


if __name__ == "__main__":
    sys.exit(main())
