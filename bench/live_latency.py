#!/usr/bin/env python
"""Live latency: from a status change's API answer to its arrival at every
open dashboard, through uvicorn + Channels + Redis.

    .venv/bin/python bench/live_latency.py [--clients 50,200] [--changes 500]
        [--concurrency 1] [--database-url URL] [--redis-url URL] [--workers 1]
        [--api-workers 0] [--rate 0] [--client-nice 0]
        [--variant LABEL@CHECKOUT:UVICORN-OPTIONS ...]

A round of 0 clients measures the API's answer alone. Each --variant serves
all rounds again from another checkout and/or with other uvicorn options
(`api=N`: the API on a uvicorn of its own; `nice=N`: the websocket server
at that lower CPU priority), so before and after come from one run. Per round it also prints the web processes' peak RSS and their
CPU per change (bench/harness/rss.py).

One command does everything, and undoes it:

1. creates a fresh PostgreSQL database (rd_live_bench_<pid>) on the server of
   --database-url, migrates it (bench.harness.database), and
   seeds one event with --changes registrants per round, an organiser with
   an API token, and a viewer with one logged-in session per client (made
   as testing/servers.py's session_cookie_for makes them);
2. starts a private redis-server (unless --redis-url is given) and uvicorn
   serving config.asgi:application with DATABASE_URL and REDIS_URL, so the
   channel layer is channels-redis pub/sub as in production (with the API on
   a uvicorn of its own, the websockets' one serves the live role's
   config.live_asgi, as the image does);
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
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: import bench.harness from the repository root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench.harness import database, report
from bench.harness.live import run_round
from bench.harness.priority import lower_priority
from bench.harness.rss import web_processes
from bench.harness.seeding import seed_live
from bench.harness.servers import CheckoutUvicornServer, free_port
from testing.servers import RedisServer

TARGET_P99_MS = 100.0
TARGET_RSS_MB = 150.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; the defaults are the rounds docs/benchmarks.md reports."""
    p = argparse.ArgumentParser(
        description="Latency of live pushes: API answer -> websocket clients.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--clients", default="50,200", help="websocket clients per round, comma-separated"
    )
    p.add_argument("--changes", type=int, default=500, help="status changes per round")
    p.add_argument("--concurrency", type=int, default=1, help="API requests in flight at once")
    p.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="changes per second, one at a time (0: each as soon as the last was answered)",
    )
    p.add_argument(
        "--client-nice",
        type=int,
        default=0,
        help="run the websocket clients at this lower CPU priority (nice value, their "
        "sessions' autogroups too): in real life the browsers are not on the server",
    )
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    p.add_argument(
        "--api-workers",
        type=int,
        default=0,
        help="serve the API from a uvicorn of its own with this many workers "
        "(websockets stay on --workers); 0: one server for both",
    )
    p.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="LABEL[@ROOT][:UVICORN ARGS]",
        help="serve the rounds once per variant, in order, for a before/after in one "
        "run: from checkout ROOT (default this one) with more uvicorn options, e.g. "
        "'before@/work/main' 'after' 'no deflate:--ws-per-message-deflate false'",
    )
    p.add_argument(
        "--database-url",
        default=database.DEFAULT_SERVER_URL,
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
    args.variants = [parse_variant(v, args.api_workers) for v in args.variant] or [
        ("this checkout", "", [], args.api_workers, 0)
    ]
    if not args.rounds or min(args.rounds) < 0 or args.changes < 1 or args.concurrency < 1:
        p.error("--clients takes numbers >= 0 (0: the API alone); --changes and "
                "--concurrency must be positive")  # fmt: skip
    return args


def websocket_app(root: str, api_workers: int) -> str:
    """The app the websockets' server runs: with the API on servers of its
    own it is the image's live role, config.live_asgi, where the checkout
    has one (older ones served config.asgi in that role too)."""
    checkout = Path(root) if root else Path(__file__).resolve().parents[1]
    if api_workers and (checkout / "config" / "live_asgi.py").exists():
        return "config.live_asgi:application"
    return "config.asgi:application"


def parse_variant(text: str, api_workers: int) -> tuple[str, str, list[str], int, int]:
    """'label@root:args' -> (label, root, uvicorn args, API workers, nice);
    root and args optional; an `api=N` among the args serves the API from a
    uvicorn of its own with N workers (default `api_workers`); `nice=N` runs
    the websocket server at that lower CPU priority (bench/harness/priority.py)."""
    head, _, extra = text.partition(":")
    label, _, root = head.partition("@")
    options = [x for x in extra.split() if not x.startswith(("api=", "nice="))]
    apis = [int(x[4:]) for x in extra.split() if x.startswith("api=")]
    nices = [int(x[5:]) for x in extra.split() if x.startswith("nice=")]
    return (label.strip(), root.strip(), options, apis[-1] if apis else api_workers,
            nices[-1] if nices else 0)  # fmt: skip


def print_report(result: dict[str, Any]) -> None:
    """The figures per round as a table, then one JSON line."""
    print()
    print(
        f"live latency: uvicorn ({result['workers']} worker) + Channels + Redis pub/sub, "
        f"{result['changes']} changes per round at {result['rate'] or 'full'} per s, "
        f"concurrency {result['concurrency']}, "
        f"clients at nice {result['client_nice']}; "
        "RSS per web process: the websocket server's workers, then the API server's if any"
    )
    print(
        f"  cpus {os.cpu_count()}, python {sys.version.split()[0]}, "
        f"postgres {result['postgres']}, redis {result['redis']}"
    )
    header = ("code", "clients", "p50 ms", "p90 ms", "p99 ms", "max ms", "lost", "dropped",
              "api/s", "api p50", "api p99", "server CPU ms/change", "RSS MB per web process",
              "load avg (1/5/15) before -> after")  # fmt: skip
    rows = []
    for r in result["rounds"]:
        lat = r["latency_from_answer_ms"]
        load = (
            f"{'/'.join(map(str, r['loadavg_before']))} -> {'/'.join(map(str, r['loadavg_after']))}"
        )
        rows.append((r["code"], r["clients"], lat["p50"], lat["p90"], lat["p99"], lat["max"],
                     r["lost"], r["dropped_sockets"], r["api_changes_per_s"], r["api_p50_ms"],
                     r["api_p99_ms"], r["server_cpu_ms_per_change"], " ".join(map(str, r["rss_peak_mb"])), load))  # fmt: skip
    report.print_table(header, rows)
    for r in result["rounds"]:
        if not r["clients"]:
            continue
        target = "met" if (r["latency_from_answer_ms"]["p99"] or 1e9) < TARGET_P99_MS else "NOT met"
        memory = "met" if max(r["rss_peak_mb"], default=1e9) <= TARGET_RSS_MB else "NOT met"
        print(
            f"  {r['code']}, {r['clients']} clients: {r['deliveries']} of "
            f"{r['expected_deliveries']} deliveries, "
            f"{r['latency_from_answer_ms']['negative_share']} % before the API answer, "
            f"from the request p50 {r['latency_from_request_ms']['p50']} / "
            f"p99 {r['latency_from_request_ms']['p99']} ms, "
            f"duplicates {r['duplicates']}, API errors {r['api_error_count']}; "
            f"p99 < {TARGET_P99_MS:.0f} ms {target}, RSS <= {TARGET_RSS_MB:.0f} MB {memory}"
        )
    print(report.result_line(result))


def run_code(
    args, variant: tuple[str, str, list[str], int, int], env: dict[str, str],
    seed_: dict[str, Any],
    ids: list[int],
) -> list[dict[str, Any]]:  # fmt: skip
    """Serve one variant (checkout, uvicorn options), run every round on it
    (each with its own `args.changes` of `ids`), stop the servers."""
    code, root, extra, api_workers, nice = variant
    servers = [CheckoutUvicornServer(env=env, workers=args.workers, port=free_port(),
                                     start_timeout=90, own_session=True, root=root,
                                     extra_args=extra, app=websocket_app(root, api_workers))]  # fmt: skip
    if api_workers:
        servers.append(CheckoutUvicornServer(env=env, workers=api_workers, port=free_port(),
                                             start_timeout=90, own_session=True, root=root,
                                             extra_args=extra))  # fmt: skip
    rounds = []
    try:
        for server in servers:
            server.start()
        time.sleep(2.0)  # uvicorn's workers start after its first answer
        pids = [pid for s in servers for pid in web_processes(s.proc.pid)]  # type: ignore[union-attr]
        for pid in [servers[0].proc.pid, *web_processes(servers[0].proc.pid)]:  # type: ignore[union-attr]
            lower_priority(pid, nice)
        for i, clients in enumerate(args.rounds):
            chunk = ids[i * args.changes : (i + 1) * args.changes]
            print(
                f"{code}, round {i + 1}: {clients} clients, {len(chunk)} changes, "
                f"load average {os.getloadavg()[0]:.2f}…",
                flush=True,
            )
            r = run_round(args, servers[0].url, seed_, clients, chunk,
                          api_base=servers[-1].url, rss_pids=pids)  # fmt: skip
            rounds.append({"code": code, "api_workers": api_workers, "nice": nice, **r})
            lat = r["latency_from_answer_ms"]
            print(f"  p50 {lat['p50']} ms, p99 {lat['p99']} ms, lost {r['lost']}, "
                  f"API p50 {r['api_p50_ms']} ms, RSS {r['rss_peak_mb']} MB", flush=True)  # fmt: skip
    except BaseException:
        for server in servers:
            print(f"server log (tail): {server.log_text()[-2000:]}", file=sys.stderr)
        raise
    finally:
        for server in servers:
            server.stop()
            server.close()
    return rounds


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:  # noqa: C901  (setup and teardown in one place)
    """Set up, run the rounds, report, tear down."""
    args = parse_args(argv)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    dbname = f"rd_live_bench_{os.getpid()}"
    db_url = database.database_url(args.database_url, dbname)
    redis_server = None
    created = False
    outcome = 3
    try:
        try:
            postgres_version = database.create_database(args.database_url, dbname)
            created = True
            if args.redis_url:
                redis_url = args.redis_url
            else:
                redis_server = RedisServer()
                redis_server.start()
                redis_url = redis_server.url
            env = database.app_environment(db_url, redis_url)
            database.setup_django(env)
            codes = args.variants
            print(
                f"seeding {dbname}: {len(codes) * len(args.rounds) * args.changes} registrants, "
                f"{max(args.rounds)} sessions…",
                flush=True,
            )
            per_code = len(args.rounds) * args.changes
            seed_ = seed_live(len(codes) * len(args.rounds), args.changes, max(args.rounds))
            database.close_django_connections()
        except Exception as exc:
            print(f"setup failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 3
        rounds = []
        for n, variant in enumerate(codes):
            ids = seed_["registrants"][n * per_code : (n + 1) * per_code]
            rounds += run_code(args, variant, env, seed_, ids)
        import redis

        redis_version = redis.Redis.from_url(redis_url).info().get("redis_version", "?")
        result = {
            "bench": "live_latency",
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "workers": args.workers,
            "api_workers": args.api_workers,
            "variants": args.variant,
            "changes": args.changes,
            "concurrency": args.concurrency,
            "client_nice": args.client_nice,
            "rate": args.rate,
            "postgres": postgres_version,
            "redis": redis_version,
            "redis_url": database.redact(redis_url),
            "database_url": database.redact(args.database_url),
            "rounds": rounds,
        }
        print_report(result)
        if not args.no_save:
            print(f"saved {report.save(result, 'live_latency')}")
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
        if redis_server is not None:
            redis_server.close()
        if created and not args.keep_db:
            database.close_django_connections()
            database.drop_database(args.database_url, dbname)


if __name__ == "__main__":
    sys.exit(main())
