"""What an organiser's reads cost at a million registrants.

    .venv/bin/python bench/scale.py                  # makes the data set first if needed
    .venv/bin/python bench/scale.py --repeat 50
    .venv/bin/python bench/scale.py --database rd_scale_lists --plans bench/plans

The event's numbers (stats, dashboard numbers, live counts, the seat count)
are measured by bench/scale_stats.py against the naive reads, while
--scanners threads scan (only with --database, a copy: they write).

Uses the data set of bench/scale_data.py (made on its first run, reused
after; its durable PostgreSQL cluster is started if stopped) and measures,
in this process through Django's test client as a logged-in organiser (no
HTTP server, so the figures are the application's and the database's own),
each read --repeat times after one unmeasured warm-up: the event's stats,
the dashboard's numbers and the seat count a registration takes; then
bench/scale_lists.py's reads (the lists, their search, pages 1 and
--deep-page, the desk's search, the registrant page), each beside its naive
version. Prints p50, p99 and max per read and one RESULT JSON line.

The data set's big event is event 1. Nothing is written but the bench's
organiser account; on a copy (--database), the scanners' scans and the
previous search's indexes (bench/scale_search.py, dropped after).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

if not __package__:  # run as a file: import bench.* from the repository root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench import scale_data, scale_lists, scale_stats
from bench.harness.stats import percentile


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--deep-page", type=int, default=1000, help="the list page to reach")
    p.add_argument("--cluster", type=Path, default=scale_data.parse_args([]).cluster)
    p.add_argument("--port", type=int, default=scale_data.parse_args([]).port)
    p.add_argument(
        "--database",
        default=scale_data.DATABASE,
        help="a copy of the data set (the scanners write: never the shared rd_scale)",
    )
    p.add_argument("--scanners", type=int, default=16, help="scanning threads during the numbers")
    p.add_argument("--scan-rate", type=float, default=0, help="scans/s per scanner; 0: flat out")
    p.add_argument("--naive-repeat", type=int, default=3, help="runs of each naive read")
    p.add_argument("--plans", type=Path, help="write the list reads' plans into this folder")
    return p.parse_args(argv)


def timed(call, repeat: int) -> list[float]:
    call()  # warm-up: caches, plans, the first connection
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p99 = percentile(ordered, 0.99) or 0.0
    return {"p50": round(statistics.median(ordered), 1), "p99": round(p99, 1),
            "max": round(ordered[-1], 1), "n": len(ordered)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    made = scale_data.main(["--cluster", str(args.cluster), "--port", str(args.port)])
    if made:
        return made
    dsn = f"postgres://postgres@127.0.0.1:{args.port}/{args.database}"
    os.environ["DATABASE_URL"] = dsn
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    import logging

    logging.disable(logging.INFO)  # one request line per read would bury the table
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from registrants.models import Registrant
    from registrants.roles import ORGANISER

    user, _ = get_user_model().objects.get_or_create(username="bench-organiser")
    user.groups.add(Group.objects.get(name=ORGANISER))
    client = Client()
    client.force_login(user)

    def get(path: str, **params) -> dict | None:
        response = client.get(path + ("?" + urlencode(params) if params else ""))
        if response.status_code != 200:
            raise SystemExit(f"{path} {params}: {response.status_code} {response.content[:300]!r}")
        if response.headers.get("Content-Type", "").startswith("application/json"):
            return response.json()
        return None

    someone = Registrant.objects.filter(event_id=1, status="exited").order_by("id")[5000]
    scanners = 0 if args.database == scale_data.DATABASE else args.scanners
    numbers = scale_stats.measure_postgres(get, dsn=dsn, scanners=scanners,
                                           scan_rate=args.scan_rate, repeat=args.repeat,
                                           naive_repeat=args.naive_repeat)  # fmt: skip
    reads = {
        # The list, desk and registrant-page reads are bench/scale_lists.py's.
        "registrant history (API)": lambda: get(f"/api/v1/registrants/{someone.pk}/history/"),
    }
    results = {}
    print(f"{'read':<34} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}")
    for name, call in reads.items():
        results[name] = summary(timed(call, args.repeat))
        r = results[name]
        print(f"{name:<34} {r['p50']:>9} {r['p99']:>9} {r['max']:>9}", flush=True)
    results["lists"] = scale_lists.measure(
        get=get, timed=timed, summary=summary, repeat=args.repeat, deep_page=args.deep_page,
        plans=args.plans, copy=args.database != scale_data.DATABASE,
    )  # fmt: skip
    print("RESULT " + json.dumps({"load": os.getloadavg(), "reads": results, "numbers": numbers}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
