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
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scan_throughput as st  # noqa: E402  (the bench database helpers)

REPO = st.REPO
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from testing.servers import RedisServer, UvicornServer, free_port  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--requests", type=int, default=1600, help="requests per throughput run")
    p.add_argument("--changes", type=int, default=200, help="cross-node live changes")
    p.add_argument("--restart-requests", type=int, default=3000, help="scans in the kill run")
    p.add_argument("--deadline", type=float, default=120, help="seconds at most per phase")
    p.add_argument("--pg-bin", default=os.environ.get("TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
    return p.parse_args(argv)


# --- Infrastructure --------------------------------------------------------------------


class DurablePostgres:
    """A PostgreSQL cluster of this run's own, with durability on."""

    def __init__(self, pg_bin: str, workdir: Path) -> None:
        self.bin = pg_bin
        self.data = workdir / "pg"
        self.port = free_port()

    def _run(self, *cmd: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *cmd], check=True, stdout=subprocess.DEVNULL)

    def start(self) -> None:
        self.data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres")
            os.chmod(self.data.parent, 0o711)  # noqa: S103  (postgres must pass through)
        self._run(f"{self.bin}/initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust")
        opts = (
            f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c max_connections=200"
            " -c fsync=on -c synchronous_commit=on -c full_page_writes=on -c shared_buffers=256MB"
        )
        self._run(f"{self.bin}/pg_ctl", "-D", str(self.data), "-o", opts, "-w", "start")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(f"{self.bin}/pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/scale_out"


def nginx_config(workdir: Path, port: int, web: list[int], gateway: int) -> Path:
    """deploy/nginx/nginx.conf with the compose host names on loopback ports."""
    text = (REPO / "deploy/nginx/nginx.conf").read_text()
    text = text.replace("server web1:8000", f"server 127.0.0.1:{web[0]}")
    text = text.replace("server web2:8000", f"server 127.0.0.1:{web[1]}")
    text = text.replace("server gateway:8001", f"server 127.0.0.1:{gateway}")
    text = text.replace("listen 8080", f"listen 127.0.0.1:{port}")
    text = text.replace("/var/cache/nginx/static", str(workdir / "nginx-cache"))
    # Which web node answered: how the bench knows where a websocket landed.
    text = text.replace(
        "access_log off;", "access_log off;\n    add_header X-Upstream $upstream_addr always;"
    )
    path = workdir / "nginx.conf"
    path.write_text(text)
    return path


class Nginx:
    def __init__(self, workdir: Path, conf: Path) -> None:
        self.workdir, self.conf = workdir, conf

    def start(self) -> None:
        os.chmod(self.workdir, 0o711)  # noqa: S103  (www-data must pass through)
        (self.workdir / "nginx-cache").mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.workdir / "nginx-cache", "www-data")
        g = f"pid {self.workdir}/nginx.pid; error_log {self.workdir}/nginx-error.log;"
        if os.geteuid() == 0:
            g = "user www-data; " + g
        subprocess.run(["nginx", "-c", str(self.conf), "-g", g], check=True)

    def stop(self) -> None:
        pid = self.workdir / "nginx.pid"
        if pid.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid.read_text()), signal.SIGQUIT)


# --- Seeding ---------------------------------------------------------------------------


def seed(clients: int, scans: int, live: int) -> dict[str, Any]:
    """Migrate; one event with `scans` registered people (codes per client),
    one with `live` people for the websocket, one for registrations; door
    staff with tokens, an organiser with a token, a superuser session."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import transaction

    from accounts.tokens import token_create
    from registrants.models import Event, Registrant
    from registrants.roles import CHECKIN_STAFF, ORGANISER, VIEWER, sync_role_groups
    from testing.servers import session_cookie_for

    call_command("migrate", interactive=False, verbosity=0)
    users = get_user_model().objects
    with transaction.atomic():
        sync_role_groups()
        staff = Group.objects.get(name=CHECKIN_STAFF)
        tokens = []
        for i in range(clients + 1):
            user = users.create_user(username=f"door-{i:02d}")
            user.groups.add(staff)
            tokens.append(token_create(user=user)[1])
        organiser = users.create_user(username="organiser")
        organiser.groups.add(Group.objects.get(name=ORGANISER))
        viewer = users.create_user(username="viewer")
        viewer.groups.add(Group.objects.get(name=VIEWER))
        admin = users.create_superuser(username="admin", email="admin@bench.example")
        day = dt.date(2030, 1, 1)
        doors = Event.objects.create(name="Doors", date=day, capacity=scans)
        live_event = Event.objects.create(name="Live", date=day, capacity=live)
        signup = Event.objects.create(name="Sign-up", date=day, capacity=100_000)
        people = Registrant.objects.bulk_create(
            Registrant(event=doors, name=f"Guest {i}", email=f"g{i}@bench.example")
            for i in range(scans)
        )
        watched = Registrant.objects.bulk_create(
            Registrant(event=live_event, name=f"Live {i}", email=f"l{i}@bench.example")
            for i in range(live)
        )
    return {
        "doors": doors.pk,
        "live": live_event.pk,
        "signup": signup.pk,
        "codes": [r.check_in_code for r in people],
        "live_ids": [r.pk for r in watched],
        "tokens": tokens[:clients],
        "spare_token": tokens[clients],
        "organiser": token_create(user=organiser)[1],
        "viewer_cookie": session_cookie_for(viewer),
        "admin_cookie": session_cookie_for(admin),
    }


# --- Load ------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


async def load(
    url: str,
    clients: int,
    make_request,  # (client index, item) -> (path, token, body)
    items: list[list[Any]],
    deadline: float,
    on_answer=None,
) -> dict[str, Any]:
    """`clients` concurrent clients, each sending its items one after another."""
    statuses: dict[str, int] = {}
    t0 = time.monotonic()

    async def client(i: int) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            for item in items[i]:
                if time.monotonic() - t0 > deadline:
                    return
                path, token, body = make_request(i, item)
                try:
                    r = await http.post(
                        path, json=body, headers={"Authorization": f"Bearer {token}"}
                    )
                    key = str(r.status_code)
                except httpx.TransportError as exc:
                    key, r = type(exc).__name__, None
                statuses[key] = statuses.get(key, 0) + 1
                if on_answer:
                    on_answer(i, item, r)

    await asyncio.gather(*(client(i) for i in range(clients)))
    seconds = time.monotonic() - t0
    done = sum(statuses.values())
    return {
        "requests": done,
        "seconds": round(seconds, 2),
        "per_s": round(done / seconds, 1),
        "statuses": statuses,
    }


def split(values: list[Any], n: int) -> list[list[Any]]:
    return [values[i::n] for i in range(n)]


async def throughput(
    args, s: dict[str, Any], edge: str, web_a: str, gateway: str
) -> dict[str, Any]:
    codes = iter(s["codes"])
    n, c = args.requests, args.clients
    out: dict[str, Any] = {}

    def scan(path: str, event: int):
        return lambda i, code: (
            path,
            s["tokens"][i],
            {"code": code, "mode": "desk", "event": event},
        )

    for name, path, direct in (
        ("API scan", "/api/v1/scan/", web_a),
        ("gateway scan", "/gateway/v1/scan", gateway),
    ):
        for where, url in (("one process direct", direct), ("nginx, 2 web", edge)):
            batch = [next(codes) for _ in range(n)]
            out[f"{name}, {where}"] = await load(
                url, c, scan(path, s["doors"]), split(batch, c), args.deadline
            )
    for where, url in (("one process direct", web_a), ("nginx, 2 web", edge)):
        tag = uuid.uuid4().hex[:6]
        people = [f"{tag}-{i}" for i in range(n)]

        def register(i: int, who: str):
            body = {"event": s["signup"], "name": f"Person {who}", "email": f"{who}@bench.example"}
            return "/api/v1/registrants/", s["organiser"], body

        out[f"registration, {where}"] = await load(
            url, c, register, split(people, c), args.deadline
        )
    return out


# --- Websockets ------------------------------------------------------------------------


async def open_socket(edge: str, s: dict[str, Any], want_port: int | None = None, tries: int = 20):
    """A websocket to the live event through nginx; with `want_port`, opened
    again until nginx sends it to that node. Returns (socket, node port)."""
    import websockets

    ws_url = edge.replace("http://", "ws://") + f"/ws/events/{s['live']}/"
    for _ in range(tries):
        ws = await websockets.connect(
            ws_url, origin=edge, additional_headers={"Cookie": s["viewer_cookie"]}, open_timeout=30
        )
        port = int(ws.response.headers.get("X-Upstream", ":0").rsplit(":", 1)[1])
        first = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if first.get("type") != "numbers":
            raise RuntimeError(f"first message is not a snapshot: {first}")
        if want_port is None or port == want_port:
            return ws, port
        await ws.close()
    raise RuntimeError(f"nginx never sent the websocket to port {want_port}")


async def cross_node_live(args, s, edge: str, webs: dict[int, str]) -> dict[str, Any]:
    ws, port = await open_socket(edge, s)
    other = next(u for p, u in webs.items() if p != port)
    sent: dict[int, float] = {}
    arrived: dict[int, float] = {}

    async def reader() -> None:
        with contextlib.suppress(Exception):
            async for raw in ws:
                m = json.loads(raw)
                if m.get("type") == "change" and m.get("kind") == "status":
                    arrived.setdefault(m["registrant"]["id"], time.monotonic())

    task = asyncio.create_task(reader())
    headers = {"Authorization": f"Bearer {s['organiser']}"}
    async with httpx.AsyncClient(base_url=other, timeout=30, headers=headers) as http:
        for rid in s["live_ids"][: args.changes]:
            sent[rid] = time.monotonic()
            r = await http.post(
                f"/api/v1/registrants/{rid}/transitions/", json={"to_status": "checked_in"}
            )
            r.raise_for_status()
    for _ in range(100):
        if len(arrived) >= len(sent):
            break
        await asyncio.sleep(0.1)
    task.cancel()
    await ws.close()
    ms = [(arrived[r] - sent[r]) * 1000 for r in sent if r in arrived]
    return {
        "socket on web port": port,
        "changes made on": other,
        "changes": len(sent),
        "seen": len(ms),
        "p50 ms": round(pct(ms, 0.5), 1),
        "p99 ms": round(pct(ms, 0.99), 1),
        "max ms": round(max(ms), 1) if ms else None,
    }


# --- Token revocation ------------------------------------------------------------------


def revoke_across(s, webs: dict[int, str], gateway: str) -> dict[str, Any]:
    """Use the spare token on node B and the gateway (caches warm), delete it
    in the admin on node A, use it on node B and the gateway at once."""
    from accounts.models import ApiToken

    (a_url, b_url) = list(webs.values())
    auth = {"Authorization": f"Bearer {s['spare_token']}"}
    events_b = f"{b_url}/api/v1/events/"
    scan_body = {"code": "no-such-code", "mode": "desk", "event": s["doors"]}
    before = (httpx.get(events_b, headers=auth).status_code,
              httpx.post(f"{gateway}/gateway/v1/scan", json=scan_body, headers=auth).status_code)  # fmt: skip
    token = (
        ApiToken.objects.order_by("-pk").filter(user__username=f"door-{len(s['tokens']):02d}").get()
    )
    name, value = s["admin_cookie"].split("=", 1)
    with httpx.Client(base_url=a_url, cookies={name: value}) as admin:
        page = admin.get(f"/admin/accounts/apitoken/{token.pk}/delete/")
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if not found:
            raise RuntimeError(f"admin delete page answered {page.status_code}")
        deleted = admin.post(
            f"/admin/accounts/apitoken/{token.pk}/delete/",
            data={"post": "yes", "csrfmiddlewaretoken": found.group(1)},
        )
    after_b = httpx.get(events_b, headers=auth).status_code
    t0 = time.monotonic()
    gateway_status = httpx.post(
        f"{gateway}/gateway/v1/scan", json=scan_body, headers=auth
    ).status_code
    while gateway_status != 401 and time.monotonic() - t0 < 5:
        time.sleep(0.02)
        gateway_status = httpx.post(
            f"{gateway}/gateway/v1/scan", json=scan_body, headers=auth
        ).status_code
    return {
        "before (node B, gateway)": before,
        "admin delete on node A": deleted.status_code,
        "token still stored": ApiToken.objects.filter(pk=token.pk).exists(),
        "node B, next request": after_b,
        "gateway": gateway_status,
        "gateway refused after ms": round((time.monotonic() - t0) * 1000),
    }


# --- Rolling restart -------------------------------------------------------------------


async def rolling_restart(args, s, edge: str, servers: dict[int, UvicornServer]) -> dict[str, Any]:
    ws, port = await open_socket(edge, s)
    victim = servers[port]
    codes = s["codes"][-args.restart_requests :]
    outcome: dict[str, dict[str, Any]] = {}  # code -> final answer
    counts = {"sent": 0, "retries": 0, "in flight at kill": None}
    failed: dict[str, int] = {}
    in_flight = 0
    ws_log: dict[str, Any] = {"closed": False, "reconnected on port": None, "snapshot": False}
    kill_at = len(codes) // 3

    async def watch() -> None:
        nonlocal ws
        with contextlib.suppress(Exception):
            async for _ in ws:
                pass
        ws_log["closed"] = True
        t = time.monotonic()
        for _ in range(100):
            try:
                ws, p = await open_socket(edge, s, tries=1)
                ws_log.update({"reconnected on port": p, "snapshot": True,
                               "reconnect ms": round((time.monotonic() - t) * 1000)})  # fmt: skip
                await ws.close()
                return
            except Exception:  # the node is down: the page retries after a pause too
                await asyncio.sleep(0.2)

    async def client(i: int, mine: list[str]) -> None:
        nonlocal in_flight
        headers = {"Authorization": f"Bearer {s['tokens'][i]}"}
        async with httpx.AsyncClient(base_url=edge, timeout=30, headers=headers) as http:
            for code in mine:
                body = {"code": code, "mode": "desk", "event": s["doors"], "nonce": f"n-{code}"}
                for attempt in range(5):  # the same nonce: a retry never applies twice
                    counts["sent"] += 1
                    counts["retries"] += attempt > 0
                    in_flight += 1
                    try:
                        r = await http.post("/api/v1/scan/", json=body)
                        key = str(r.status_code)
                    except httpx.TransportError as exc:
                        key, r = type(exc).__name__, None
                    finally:
                        in_flight -= 1
                    if r is not None and r.status_code == 200:
                        outcome[code] = r.json()
                        break
                    # Which node failed it (nginx names the upstream it tried).
                    node = r.headers.get("X-Upstream", "?") if r is not None else "no answer"
                    failed[f"{key} from {node}"] = failed.get(f"{key} from {node}", 0) + 1
                    await asyncio.sleep(0.2)

    async def killer() -> None:
        while counts["sent"] < kill_at:
            await asyncio.sleep(0.01)
        counts["in flight at kill"] = in_flight
        victim.proc.kill()  # SIGKILL: no graceful shutdown
        victim.proc.wait()
        t = time.monotonic()
        await asyncio.to_thread(victim.start)
        counts["restart s"] = round(time.monotonic() - t, 1)

    t0 = time.monotonic()
    watcher = asyncio.create_task(watch())
    await asyncio.gather(
        killer(), *(client(i, m) for i, m in enumerate(split(codes, args.clients)))
    )
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(watcher, 30)
    seconds = time.monotonic() - t0
    accepted = len(outcome)
    changed = [c for c, a in outcome.items() if a.get("changed")]
    return {
        "killed web port": port,
        "codes": len(codes),
        "requests sent": counts["sent"],
        "retries (same nonce)": counts["retries"],
        "accepted codes (200)": accepted,
        "of which changed:true": len(changed),
        "failed requests": failed,
        "in flight at kill": counts["in flight at kill"],
        "restart s": counts.get("restart s"),
        "seconds": round(seconds, 1),
        "websocket": ws_log,
        "database": await asyncio.to_thread(check_writes, codes, set(changed), set(outcome)),
    }


def check_writes(codes: list[str], changed: set[str], accepted: set[str]) -> dict[str, int]:
    """SQL over what the load sent: history rows per code."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            """SELECT r.check_in_code, r.status,
                      COUNT(h.id) FILTER (WHERE h.to_status = 'checked_in')
                 FROM registrants_registrant r
                 LEFT JOIN registrants_statuschange h ON h.registrant_id = r.id
                WHERE r.check_in_code = ANY(%s)
                GROUP BY r.id""",
            [codes],
        )
        rows = cur.fetchall()
    by_code = {code: (status, n) for code, status, n in rows}
    return {
        "checked in (status)": sum(1 for st_, _ in by_code.values() if st_ == "checked_in"),
        "check-in history rows": sum(n for _, n in by_code.values()),
        "accepted but not checked in (lost)": sum(
            1 for c in accepted if by_code[c][0] != "checked_in"
        ),
        "changed:true without exactly one row": sum(1 for c in changed if by_code[c][1] != 1),
        "codes with two or more rows (double)": sum(1 for _, n in by_code.values() if n > 1),
        "written but never accepted": sum(
            1 for c, (_, n) in by_code.items() if n and c not in accepted
        ),
    }


# --- Import through the worker ---------------------------------------------------------


def import_through_worker(s, edge: str) -> dict[str, Any]:
    rows = "name,email\n" + "".join(f"Imported {i},imp{i}@bench.example\n" for i in range(50))
    headers = {"Authorization": f"Bearer {s['organiser']}"}
    r = httpx.post(
        f"{edge}/api/v1/events/{s['signup']}/imports/",
        headers=headers,
        files={"file": ("people.csv", rows.encode(), "text/csv")},
        data={"mode": "all_or_nothing"},
        timeout=30,
    )
    if r.status_code != 202:
        return {"upload": r.status_code, "body": r.text[:300]}
    job = r.json()
    t0 = time.monotonic()
    while job.get("state") in ("queued", "running") and time.monotonic() - t0 < 60:
        time.sleep(0.3)
        job = httpx.get(f"{edge}/api/v1/imports/{job['id']}/", headers=headers).json()
    return {"upload": 202, "state": job.get("state"), "seconds": round(time.monotonic() - t0, 1),
            "created": job.get("created")}  # fmt: skip


# --- Main ------------------------------------------------------------------------------


def verdict(results: dict[str, Any]) -> list[str]:
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
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="scale-out-"))
    stack = contextlib.ExitStack()
    results: dict[str, Any] = {}
    try:
        pg = DurablePostgres(args.pg_bin, work)
        pg.start()
        stack.callback(pg.stop)
        redis = stack.enter_context(RedisServer())
        env = {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DATABASE_URL": pg.url,
            "REDIS_URL": redis.url,
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "SCAN_THROTTLE_RATE": "1000000/min",
            "IMPORT_UPLOAD_DIR": str(work / "uploads"),
        }
        st.create_database(pg.url, "scale_out")
        st.setup_django(env)
        scans = 4 * args.requests + args.restart_requests
        s = seed(args.clients, scans, args.changes)
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
            cwd=REPO, env={**os.environ, **env}, stdout=worker_log, stderr=subprocess.STDOUT,
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
