"""The registrant page at a million registrants, this code beside a previous
version's, turn about in the same run.

    .venv/bin/python bench/registrant_page.py --database rd_scale_page --previous main
    .venv/bin/python bench/registrant_page.py --database rd_scale_page --previous main --repeat 300

On a machine whose load moves (2 cores shared with other work), two runs one
after the other measure different machines; here one worker process per
version (the previous one from `git archive REV` into a temporary folder)
serves the page through Django's test client as a logged-in organiser, and
the parent asks them in turn, --turn requests back to back each (a worker
asked for single requests measured its own waking up too), so both
versions see the same load. Prints p50 and p99 of the wall time and of the
worker's CPU time per version, the ratio, the load average, and one RESULT
JSON line.

Uses bench/scale_data.py's data set (its event 1) on the durable cluster;
writes nothing but the bench's organiser account (get_or_create).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if not __package__:  # run as a file: import bench.* from the repository root
    sys.path[0] = str(ROOT)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--database", default="rd_scale_page", help="a database of the bench cluster")
    p.add_argument("--port", type=int, default=55499)
    p.add_argument("--previous", default="main", help="the git revision to compare with")
    p.add_argument("--repeat", type=int, default=200, help="requests per version")
    p.add_argument("--turn", type=int, default=10, help="requests per version and turn")
    p.add_argument("--worker", type=Path, help=argparse.SUPPRESS)  # a checkout to serve from
    return p.parse_args(argv)


def worker(root: Path, dsn: str) -> None:
    """Serve the page from the checkout at `root`: one request per input line,
    answered with its wall and CPU milliseconds."""
    sys.path[0] = str(root)
    os.chdir(root)
    os.environ["DATABASE_URL"] = dsn
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    import warnings

    warnings.filterwarnings("ignore")  # no collected static files: whitenoise says so
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
    # The registrant bench/scale_lists.py opens: exited, so six history rows.
    someone = Registrant.objects.filter(event_id=1, status="exited").order_by("id")[5000]
    url = f"/registrants/{someone.pk}/"
    for _ in range(3):  # warm-up: templates, the statement, the connection
        client.get(url)
    print("ready", flush=True)
    for line in sys.stdin:
        walls, cpus = [], []
        for _ in range(int(line)):  # back to back, as bench/scale.py measures
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            if response.status_code != 200:
                print(json.dumps({"error": response.status_code}), flush=True)
                return
        print(json.dumps({"wall": walls, "cpu": cpus}), flush=True)


def _export(rev: str, into: Path) -> None:
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)


def _summary(values: list[float]) -> dict[str, float]:
    from bench.harness.stats import percentile

    ordered = sorted(values)
    return {
        "p50": round(percentile(ordered, 0.5) or 0.0, 2),
        "p99": round(percentile(ordered, 0.99) or 0.0, 2),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    dsn = f"postgres://postgres@127.0.0.1:{args.port}/{args.database}"
    if args.worker:
        worker(args.worker, dsn)
        return 0
    with tempfile.TemporaryDirectory(prefix="rd-page-previous-") as previous:
        _export(args.previous, Path(previous))
        roots = {"this": ROOT, f"previous ({args.previous})": Path(previous)}
        workers = {
            name: subprocess.Popen(
                [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--worker",
                    str(root),
                    "--database",
                    args.database,
                    "--port",
                    str(args.port),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            for name, root in roots.items()
        }
        try:
            for name, proc in workers.items():
                assert proc.stdout is not None
                if proc.stdout.readline().strip() != "ready":
                    raise SystemExit(f"{name}: the worker did not start")
            times: dict[str, dict[str, list[float]]] = {n: {"wall": [], "cpu": []} for n in workers}
            load_before = os.getloadavg()
            for _ in range(-(-args.repeat // args.turn)):
                for name, proc in workers.items():
                    assert proc.stdin is not None and proc.stdout is not None
                    proc.stdin.write(f"{args.turn}\n")
                    proc.stdin.flush()
                    answer = json.loads(proc.stdout.readline())
                    if "error" in answer:
                        raise SystemExit(f"{name}: HTTP {answer['error']}")
                    times[name]["wall"].extend(answer["wall"])
                    times[name]["cpu"].extend(answer["cpu"])
            load_after = os.getloadavg()
        finally:
            for proc in workers.values():
                proc.kill()
                proc.wait()
    results = {n: {k: _summary(v) for k, v in t.items()} for n, t in times.items()}
    print(f"registrant page, {args.repeat} requests per version, {args.turn} a turn")
    print(f"{'version':<28} {'wall p50':>9} {'wall p99':>9} {'cpu p50':>9} {'cpu p99':>9}")
    for name, r in results.items():
        print(f"{name:<28} {r['wall']['p50']:>9} {r['wall']['p99']:>9}"
              f" {r['cpu']['p50']:>9} {r['cpu']['p99']:>9}")  # fmt: skip
    this, before = (results[n]["wall"]["p50"] for n in workers)
    print(f"previous/this (wall p50): {before / this:.2f}x")
    print(f"load average before {load_before}, after {load_after}")
    print("RESULT " + json.dumps({"results": results, "load": [load_before, load_after]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
