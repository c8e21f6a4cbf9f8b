"""scale_out.py's phases, each against nginx in front of the nodes: (a)
throughput, (b) live changes across nodes, (c) a token revoked on one node,
(d) a rolling restart under load, (e) an import run by the worker."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid
from typing import Any

import httpx

from bench.harness.checks import check_writes
from testing.servers import UvicornServer


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
