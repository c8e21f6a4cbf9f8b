"""The same requests through two checkouts of the code, taking turns in one
run, while scanners write: the ratio between two versions of the product.

    git worktree add --detach /work/wt/base <commit>   # the version to compare with
    .venv/bin/python bench/ab_requests.py --database rd_scale_final \\
        --variant before=/work/wt/base --variant after=. --scanners 16 --scan-rate 25 \\
        --redis-url redis://127.0.0.1:6379/0

Each variant is a worker process running its checkout's code (Django set
up on the bench's data set, logged in as the bench's organiser through
Django's test client, in-process: the application's and the database's own
time, as bench/scale.py measures). The parent asks each worker in turn for
--per-round requests of every path, --rounds times, alternating which
variant goes first, so that both see the same load; --scanners processes
scan event 1's badges meanwhile (bench/scale_stats.py's Scanners: a copy
of the data set only, they write). With --redis-url the workers use Redis
as production does (cache, sessions). Prints p50/p99 per path and variant,
the ratio of p50s, the load average, and one RESULT JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

if not __package__:  # run as a file: import bench.* from the repository root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench import scale_data
from bench.harness.stats import percentile

# The worker: runs in the variant's checkout (its code first on sys.path),
# answers one JSON line per request line {"path", "n"} with the times in ms.
WORKER = r"""
import json, os, sys, time
sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
import django
django.setup()
import logging
logging.disable(logging.INFO)
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from registrants.models import Registrant
from registrants.roles import ORGANISER
user, _ = get_user_model().objects.get_or_create(username="bench-organiser")
user.groups.add(Group.objects.get(name=ORGANISER))
client = Client()
client.force_login(user)
someone = Registrant.objects.filter(event_id=1, status="exited").order_by("id")[5000].pk
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    ask = json.loads(line)
    path = ask["path"].format(registrant=someone)
    times = []
    for _ in range(ask["n"]):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            print(json.dumps({"error": f"{path}: {response.status_code}"}), flush=True)
            break
    else:
        print(json.dumps({"times": times}), flush=True)
"""

PATHS = [
    "/api/v1/events/1/stats/",
    "/events/1/dashboard/numbers.json",
    "/registrants/{registrant}/",
    "/api/v1/events/1/",
]


class Worker:
    """One variant's worker process."""

    def __init__(self, name: str, root: Path, env: dict[str, str]) -> None:
        self.name, self.root = name, root
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER], cwd=root, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )  # fmt: skip
        self._answer()

    def _answer(self) -> dict:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"worker {self.name} ({self.root}) stopped")
        answer = json.loads(line)
        if "error" in answer:
            raise SystemExit(f"worker {self.name}: {answer['error']}")
        return answer

    def run(self, path: str, n: int) -> list[float]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"path": path, "n": n}) + "\n")
        self.process.stdin.flush()
        return self._answer()["times"]

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(30)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--variant", action="append", required=True, metavar="NAME=CHECKOUT")
    p.add_argument("--path", action="append", help=f"default: {', '.join(PATHS)}")
    p.add_argument("--database", required=True, help="a copy of the data set (scanners write)")
    p.add_argument("--port", type=int, default=scale_data.parse_args([]).port)
    p.add_argument("--redis-url", default="", help="Redis for cache and sessions, as deployed")
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--per-round", type=int, default=10)
    p.add_argument("--scanners", type=int, default=16)
    p.add_argument("--scan-rate", type=float, default=25, help="scans/s per scanner; 0: flat out")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.database == scale_data.DATABASE:
        raise SystemExit("the scanners write: use a copy of the data set, not rd_scale")
    dsn = f"postgres://postgres@127.0.0.1:{args.port}/{args.database}"
    env = {**os.environ, "DATABASE_URL": dsn, "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    env.pop("REDIS_URL", None)
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    os.environ.update({"DATABASE_URL": dsn, "DJANGO_SETTINGS_MODULE": "config.settings.base"})
    import django

    django.setup()
    from bench.scale_stats import Scanners

    paths = args.path or PATHS
    variants = [v.split("=", 1) for v in args.variant]
    workers = [Worker(name, Path(root).resolve(), env) for name, root in variants]
    times: dict[tuple[str, str], list[float]] = {}
    try:
        for worker in workers:  # warm-up, unmeasured
            for path in paths:
                worker.run(path, 3)
        with Scanners(dsn, args.scanners, args.scan_rate) if args.scanners else _Idle() as running:
            for r in range(args.rounds):
                order = workers if r % 2 == 0 else workers[::-1]
                for worker in order:
                    for path in paths:
                        times.setdefault((path, worker.name), []).extend(
                            worker.run(path, args.per_round)
                        )
        note = running.note()
    finally:
        for worker in workers:
            worker.close()
    load = os.getloadavg()
    names = [w.name for w in workers]
    print(f"{note}; load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    header = "".join(f" {n + ' p50':>14} {n + ' p99':>14}" for n in names)
    print(f"{'path':<36}{header} {'ratio p50':>10}")
    result = {}
    for path in paths:
        row, p50s = "", []
        for name in names:
            ordered = sorted(times[(path, name)])
            p50, p99 = statistics.median(ordered), percentile(ordered, 0.99) or 0.0
            p50s.append(p50)
            result[f"{path} {name}"] = {"p50": round(p50, 2), "p99": round(p99, 2),
                                        "n": len(ordered)}  # fmt: skip
            row += f" {p50:>14.1f} {p99:>14.1f}"
        ratio = p50s[-1] / p50s[0] if p50s[0] else 0
        print(f"{path:<36}{row} {ratio:>10.2f}")
    print("RESULT " + json.dumps({"load": load, "scanners": note, "reads": result}))
    return 0


class _Idle:
    def __enter__(self) -> _Idle:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def note(self) -> str:
        return "no scanners"


if __name__ == "__main__":
    raise SystemExit(main())
