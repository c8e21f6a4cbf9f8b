"""The dashboard's registrant list page at a million registrants, this code
beside a previous version's, turn about in the same run.

    .venv/bin/python bench/list_page.py --database rd_scale_listpage --previous main
    .venv/bin/python bench/list_page.py --database rd_scale_listpage --previous main --repeat 100

As bench/registrant_page.py does for the registrant page: one worker
process per version (the previous one from `git archive REV` into a
temporary folder) serves the list page through Django's test client as a
logged-in organiser, and the parent asks them in turn, --turn requests back
to back each, read by read, so both versions see the same load. The reads:
the first page, page --deep-page (by name, its cursor found once by
offset), a status, a search, and a status with a search. Prints p50 and p99
of the wall time and of the worker's CPU time per read and version, the
ratio, the load average, and one RESULT JSON line.

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
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
if not __package__:  # run as a file: import bench.* from the repository root
    sys.path[0] = str(ROOT)

from bench.registrant_page import _export, _summary  # noqa: E402

LIST = "/events/1/registrants/"
READS = {
    "page 1": {},
    "page DEEP": None,  # a cursor, found by the worker
    "status 'entered'": {"status": "entered"},
    "search 'garcia'": {"search": "garcia"},
    "status + search 'garcia'": {"status": "entered", "search": "garcia"},
    "status + search 'zoe lovelace'": {"status": "entered", "search": "zoe lovelace"},
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--database", default="rd_scale_listpage", help="a database of the cluster")
    p.add_argument("--port", type=int, default=55499)
    p.add_argument("--previous", default="main", help="the git revision to compare with")
    p.add_argument("--repeat", type=int, default=60, help="requests per read and version")
    p.add_argument("--turn", type=int, default=5, help="requests per read, version and turn")
    p.add_argument("--deep-page", type=int, default=1000)
    p.add_argument("--worker", type=Path, help=argparse.SUPPRESS)  # a checkout to serve from
    return p.parse_args(argv)


def _deep_cursor(page: int) -> str:
    """The list's cursor of page `page` (by name), found once by offset."""
    from registrants import keyset
    from registrants.models import Registrant

    row = Registrant.objects.filter(event_id=1).order_by("name", "id")[(page - 1) * 50 - 1]
    return keyset.encode(keyset.Position(row.name, row.pk))


def worker(root: Path, dsn: str, deep_page: int) -> None:
    """Serve the list from the checkout at `root`: each input line names a
    read and a count, answered with that many wall and CPU milliseconds."""
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

    from registrants.roles import ORGANISER

    user, _ = get_user_model().objects.get_or_create(username="bench-organiser")
    user.groups.add(Group.objects.get(name=ORGANISER))
    client = Client()
    client.force_login(user)
    urls = {
        name: LIST + "?" + urlencode(params if params is not None else {})
        for name, params in READS.items()
    }
    urls["page DEEP"] = LIST + "?" + urlencode({"cursor": _deep_cursor(deep_page)})
    for url in urls.values():  # warm-up: templates, statements, the connection
        for _ in range(3):
            client.get(url)
    print("ready", flush=True)
    for line in sys.stdin:
        name, count = line.rsplit(" ", 1)
        walls, cpus = [], []
        for _ in range(int(count)):
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(urls[name])
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            if response.status_code != 200:
                print(json.dumps({"error": response.status_code}), flush=True)
                return
        print(json.dumps({"wall": walls, "cpu": cpus}), flush=True)


def _start(root: Path, args: argparse.Namespace) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--worker", str(root),
         "--database", args.database, "--port", str(args.port),
         "--deep-page", str(args.deep_page)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


def _ask(proc: subprocess.Popen, name: str, count: int) -> dict[str, list[float]]:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(f"{name} {count}\n")
    proc.stdin.flush()
    answer = json.loads(proc.stdout.readline())
    if "error" in answer:
        raise SystemExit(f"{name}: HTTP {answer['error']}")
    return answer


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        dsn = f"postgres://postgres@127.0.0.1:{args.port}/{args.database}"
        worker(args.worker, dsn, args.deep_page)
        return 0
    with tempfile.TemporaryDirectory(prefix="rd-list-previous-") as previous:
        _export(args.previous, Path(previous))
        roots = {"this": ROOT, f"previous ({args.previous})": Path(previous)}
        workers = {name: _start(root, args) for name, root in roots.items()}
        try:
            for name, proc in workers.items():
                assert proc.stdout is not None
                if proc.stdout.readline().strip() != "ready":
                    raise SystemExit(f"{name}: the worker did not start")
            times = {r: {n: {"wall": [], "cpu": []} for n in workers} for r in READS}
            load_before = os.getloadavg()
            for _ in range(-(-args.repeat // args.turn)):
                for read in READS:
                    for name, proc in workers.items():
                        answer = _ask(proc, read, args.turn)
                        times[read][name]["wall"].extend(answer["wall"])
                        times[read][name]["cpu"].extend(answer["cpu"])
            load_after = os.getloadavg()
        finally:
            for proc in workers.values():
                proc.kill()
                proc.wait()
    results = {
        read.replace("DEEP", str(args.deep_page)): {
            n: {k: _summary(v) for k, v in t.items()} for n, t in by_version.items()
        }
        for read, by_version in times.items()
    }
    names = list(workers)
    print(f"registrant list page, {args.repeat} requests per read and version, {args.turn} a turn")
    print(f"{'read':<32} {'version':<18} {'wall p50':>9} {'wall p99':>9} {'cpu p50':>8} {'x':>6}")
    for read, by_version in results.items():
        this, before = (by_version[n]["wall"]["p50"] for n in names)
        for n in names:
            r = by_version[n]
            ratio = f"{before / this:.2f}" if n == names[0] and this else ""
            print(f"{read:<32} {n[:18]:<18} {r['wall']['p50']:>9} {r['wall']['p99']:>9}"
                  f" {r['cpu']['p50']:>8} {ratio:>6}")  # fmt: skip
    print("x: the previous version's wall p50 over this one's")
    print(f"load average before {load_before}, after {load_after}")
    print("RESULT " + json.dumps({"results": results, "load": [load_before, load_after]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
