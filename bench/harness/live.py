"""live_latency.py's measuring parts: websocket clients in processes of
their own, status changes through the API, and one round of both."""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import os
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from bench.harness import stats
from bench.harness.priority import detach_and_lower
from bench.harness.rss import PeakRss, cpu_seconds
from bench.harness.stats import rounded

SOCKETS_PER_PROCESS = 50
OPEN_TIMEOUT_SECONDS = 900


def client_process(
    ws_url: str, origin: str, cookies: list[str], expected: list[int], ready, stop, results,
    nice: int = 0,
) -> None:  # fmt: skip
    """Open one socket per cookie; record (registrant id, arrival) per change.
    `nice` > 0: at that lower priority (the browsers are elsewhere in real
    life; here they share the server's cores)."""
    import websockets

    detach_and_lower(nice)

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
                open_timeout=300,
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
                    parsed = json.loads(raw)
                    # Changes that queued up on the server come as one array.
                    for message in parsed if isinstance(parsed, list) else [parsed]:
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


def api_changes(
    base: str, token: str, ids: list[int], concurrency: int, rate: float = 0.0
) -> tuple[dict[int, float], dict[int, float], list[str]]:
    """registered -> checked_in for each id; (sent, answered, errors). With
    `rate` (changes per second, one at a time), the n-th change starts no
    earlier than n / rate seconds after the first."""
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

    if rate > 0:
        first = time.monotonic()
        for n, rid in enumerate(ids):
            time.sleep(max(0.0, first + n / rate - time.monotonic()))
            change(rid)
    elif concurrency == 1:
        for rid in ids:
            change(rid)
    else:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(change, ids))
    return sent, answered, errors


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile, q in per cent."""
    return stats.percentile(sorted(values), q / 100)


def run_round(
    args,
    base: str,
    seed_: dict[str, Any],
    clients: int,
    ids: list[int],
    *,
    api_base: str | None = None,
    rss_pids: list[int] | None = None,
) -> dict[str, Any]:
    """One round: `clients` sockets open (none: the API's answer time alone),
    the changes `ids` made through the API (at `api_base`, default `base`),
    every delivery's latency and every loss counted, and the peak RSS of
    `rss_pids` while it ran."""
    ctx = mp.get_context("spawn")
    ready, results, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    ws_url = base.replace("http://", "ws://") + f"/ws/events/{seed_['event_id']}/"
    cookies = seed_["cookies"][:clients]
    groups = [cookies[i : i + SOCKETS_PER_PROCESS] for i in range(0, clients, SOCKETS_PER_PROCESS)]
    procs = [
        ctx.Process(
            target=client_process,
            args=(ws_url, base, g, ids, ready, stop, results, getattr(args, "client_nice", 0)),
            daemon=True,
        )
        for g in groups
    ]
    memory = PeakRss(rss_pids or []).start()
    for p in procs:
        p.start()
    # A shared machine may take minutes to open 1,000 sockets (each one's
    # session, rights and snapshot are read on connect).
    deadline = time.monotonic() + OPEN_TIMEOUT_SECONDS
    opened = sum(ready.get(timeout=max(1.0, deadline - time.monotonic())) for _ in procs)
    if opened < clients:
        stop.set()
        raise RuntimeError(f"only {opened} of {clients} websockets opened")
    time.sleep(1.0)  # let the handshakes' work finish before measuring
    load_before = os.getloadavg()
    started = time.monotonic()
    cpu_before = cpu_seconds(rss_pids or [])
    sent, answered, errors = api_changes(
        api_base or base, seed_["token"], ids, args.concurrency, getattr(args, "rate", 0.0)
    )
    elapsed = time.monotonic() - started
    # Stragglers: the clients stop by themselves once they have everything.
    deadline = time.monotonic() + (args.settle if clients else 0)
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
    server_cpu = cpu_seconds(rss_pids or []) - cpu_before
    rss_peak_mb = memory.stop()

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
    api_ms = [(answered[r] - sent[r]) * 1000 for r in answered]
    return {
        "clients": clients,
        "changes": len(ids),
        "changes_ok": len(answered),
        "api_errors": errors[:20],
        "api_error_count": len(errors),
        "api_changes_per_s": round(len(answered) / elapsed, 1) if elapsed else None,
        "api_p50_ms": rounded(percentile(api_ms, 50)),
        "api_p99_ms": rounded(percentile(api_ms, 99)),
        "rss_peak_mb": rss_peak_mb,
        # The web processes' CPU from the first change to the last delivery.
        "server_cpu_ms_per_change": rounded(1000 * server_cpu / len(answered))
        if answered
        else None,
        "deliveries": len(from_answer),
        "expected_deliveries": clients * len(answered),
        "lost": lost,
        "lost_on_dropped_sockets": lost_on_dropped,
        "dropped_sockets": len(dropped) + missing_sockets,
        "dropped_examples": dropped[:5],
        "duplicates": duplicates,
        "latency_from_answer_ms": {
            "p50": rounded(percentile(from_answer, 50)),
            "p90": rounded(percentile(from_answer, 90)),
            "p99": rounded(percentile(from_answer, 99)),
            "max": rounded(max(from_answer, default=None)),
            "min": rounded(min(from_answer, default=None)),
            "negative_share": rounded(100 * sum(1 for x in from_answer if x < 0) / len(from_answer))
            if from_answer
            else None,
        },
        "latency_from_request_ms": {
            "p50": rounded(percentile(from_request, 50)),
            "p99": rounded(percentile(from_request, 99)),
        },
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in load_after],
    }
