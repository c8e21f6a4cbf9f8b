#!/usr/bin/env python
"""Scale-out on one machine (loopback only): nginx in front of two web
processes, one gateway process and one Celery worker, sharing one
PostgreSQL and one Redis. Prints what a load balancer in front of several
nodes must get right.

    .venv/bin/python bench/scale_out.py [--clients 16] [--requests 1600]
        [--changes 200] [--restart-requests 3000] [--pg-bin DIR]

Run as root (nginx's workers run as www-data; the PostgreSQL cluster as
postgres) on a machine with Debian's nginx (nginx-light), PostgreSQL 15 and
redis-server. One command starts everything and removes it again:

1. a PostgreSQL cluster of its own, durable (fsync, synchronous_commit and
   full_page_writes on: the test services switch them off), a private
   redis-server, uvicorn config.asgi twice (web A and B), uvicorn
   gateway.main:app, a Celery worker, and Debian's nginx with a config made
   from deploy/nginx/nginx.conf (upstreams on loopback ports; the response
   names the web node that answered, X-Upstream, so the websocket's node is
   known);
2. (a) throughput from --clients concurrent clients (asyncio + httpx), each
   run against nginx and against one process direct in the same run: API
   scans (POST /api/v1/scan/), gateway scans (POST /gateway/v1/scan; direct
   = the gateway process) and registrations (POST /api/v1/registrants/);
3. (b) a websocket through nginx lands on one web node; --changes status
   changes are made directly on the other node; latency from sending the
   change to its arrival on the socket (p50/p99), and changes never seen;
4. (c) a token revoked (deleted in the admin) through one node, then used on
   the other node at once: its status (401 expected), and on the gateway;
5. (d) a rolling restart: a scan load (with nonces) through nginx; the web
   node holding a websocket is killed with SIGKILL in the middle and started
   again. Counted: requests sent, accepted, failed (by status or connection
   error), retries (same nonce); then SQL: every accepted scan has exactly
   one check-in history row, no code has two, nothing accepted is lost; and
   whether the websocket reconnected and got a fresh snapshot;
6. (e) an import uploaded through nginx is run by the worker.

Requests are bounded in count and time (--deadline seconds per phase); the
script stops by itself. Exit status: 0 all checks held, 1 a check failed,
3 setup failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

if not __package__:  # run as a file: import bench.harness from the repository root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench.harness import database
from bench.harness.cluster import DurablePostgres, Nginx, nginx_config
from bench.harness.multinode import (
    cross_node_live,
    import_through_worker,
    revoke_across,
    rolling_restart,
    throughput,
)
from bench.harness.seeding import seed_scale_out
from testing.servers import RedisServer, UvicornServer, free_port


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; the defaults are the run docs/benchmarks.md reports."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--requests", type=int, default=1600, help="requests per throughput run")
    p.add_argument("--changes", type=int, default=200, help="cross-node live changes")
    p.add_argument("--restart-requests", type=int, default=3000, help="scans in the kill run")
    p.add_argument("--deadline", type=float, default=120, help="seconds at most per phase")
    p.add_argument("--pg-bin", default=os.environ.get("TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
    return p.parse_args(argv)


def verdict(results: dict[str, Any]) -> list[str]:
    """The checks that failed, by name; none when every check held."""
    problems = []
    live = results["b cross-node live"]
    if live["seen"] != live["changes"]:
        problems.append("live changes not seen across nodes")
    rev = results["c token revoked on the other node"]
    if rev["node B, next request"] != 401 or rev["gateway"] != 401:
        problems.append("revoked token still accepted")
    d = results["d rolling restart"]
    db = d["database"]
    if db["accepted but not checked in (lost)"] or db["changed:true without exactly one row"]:
        problems.append("accepted write lost")
    if db["codes with two or more rows (double)"]:
        problems.append("double write")
    failures = sum(d["failed requests"].values())
    if failures > (d["in flight at kill"] or 0):
        problems.append("more failures than requests in flight on the killed node")
    if not d["websocket"]["snapshot"]:
        problems.append("websocket did not reconnect")
    if results["e import through the worker"].get("state") != "done":
        problems.append("import not done by the worker")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Start everything, run the phases, print the results, remove everything."""
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="scale-out-"))
    stack = contextlib.ExitStack()
    results: dict[str, Any] = {}
    try:
        pg = DurablePostgres(args.pg_bin, work)
        pg.start()
        stack.callback(pg.stop)
        redis = stack.enter_context(RedisServer())
        env = database.app_environment(pg.url, redis.url, "1000000/min")
        env["IMPORT_UPLOAD_DIR"] = str(work / "uploads")
        database.create_database(pg.url, "scale_out")
        database.setup_django(env)
        scans = 4 * args.requests + args.restart_requests
        s = seed_scale_out(args.clients, scans, args.changes)
        ports = [free_port(), free_port()]
        servers = {p: UvicornServer(env=env, port=p, ready_path="/healthz") for p in ports}
        for server in servers.values():
            stack.enter_context(server)
        gw = stack.enter_context(
            UvicornServer(env=env, app="gateway.main:app", ready_path="/gateway/healthz")
        )
        worker_log = (work / "worker.log").open("w")
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config.celery_app", "worker", "-c", "1", "-l", "WARNING"],
            cwd=database.REPO, env={**os.environ, **env}, stdout=worker_log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        stack.callback(lambda: (worker.terminate(), worker.wait(20)))
        edge_port = free_port()
        nginx = Nginx(work, nginx_config(work, edge_port, ports, gw.port))
        nginx.start()
        stack.callback(nginx.stop)
        edge = f"http://127.0.0.1:{edge_port}"
        for _ in range(50):
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{edge}/readyz").status_code == 200:
                    break
            time.sleep(0.2)
        webs = {p: srv.url for p, srv in servers.items()}
        print(f"PostgreSQL {pg.port} (fsync=on, synchronous_commit=on), Redis {redis.port}, "
              f"web {ports}, gateway {gw.port}, nginx {edge_port}", flush=True)  # fmt: skip
        load_before = os.getloadavg()
        results["a throughput"] = asyncio.run(throughput(args, s, edge, webs[ports[0]], gw.url))
        results["b cross-node live"] = asyncio.run(cross_node_live(args, s, edge, webs))
        results["c token revoked on the other node"] = revoke_across(s, webs, gw.url)
        results["d rolling restart"] = asyncio.run(rolling_restart(args, s, edge, servers))
        results["e import through the worker"] = import_through_worker(s, edge)
        results["load average (before, after)"] = (load_before, os.getloadavg())
    except Exception as exc:
        print(json.dumps(results, indent=2, default=str))
        print(f"setup or run failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        for p in work.glob("*.log"):
            print(f"--- {p.name}\n{p.read_text()[-2000:]}", file=sys.stderr)
        stack.close()
        shutil.rmtree(work, ignore_errors=True)
        return 3
    stack.close()
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2, default=str))
    problems = verdict(results)
    print("checks:", "all held" if not problems else "; ".join(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
