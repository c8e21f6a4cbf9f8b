"""The registrant list on the embedded default (SQLite) at 100,000 registrants.

    .venv/bin/python bench/sqlite_lists.py [--registrants 100000] [--repeat 20]

1. creates a fresh SQLite file in a temporary directory, migrates it, and
   fills one event with --registrants registrants (the names of
   bench/scale_data.py: 1 in 30 is a García, most have an accent somewhere;
   2,000 companies; a second event of 10,000), then ANALYZE;
2. measures through Django's test client as an organiser, each read
   --repeat times after one warm-up: the API list's first page with a
   search (a common term, a rare full name, a status and a search, a rare
   term, a two-letter term the index cannot serve), the dashboard's list
   page with a search, the desk's search, the stats (API) and the
   dashboard's numbers; beside each search the same request with the
   search index turned off (the code before decision 0270: every row's
   folded name read), in turns, and beside each API read the query before
   decision 0195 (`event_id = 1` ordered by -id) alone;
3. times the rebuild of the search index from the rows (what migration
   0023 does to an existing file);
4. prints p50/p99 per read, the load average, and one RESULT JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

if not __package__:  # run as a file: import bench.* from the repository root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench.harness.stats import percentile
from bench.scale_data import FIRST, LAST

STATUSES = ["registered"] * 3 + ["checked_in", "cancelled"] + ["entered"] * 10 + ["exited"] * 5


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--registrants", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=20)
    return p.parse_args(argv)


def fill(n: int) -> tuple[int, str]:
    """The big event's id and one registrant's name in it."""
    from django.db import connection

    from registrants.models import Event

    big = Event.objects.create(name="Big", date=dt.date(2026, 11, 26), capacity=n)
    other = Event.objects.create(name="Other", date=dt.date(2026, 11, 27), capacity=20_000)
    now = dt.datetime(2026, 10, 1, tzinfo=dt.UTC).isoformat()
    companies = [(f"Company {i} {LAST[i % len(LAST)]}", f"company {i}", now) for i in range(2000)]
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO registrants_company (name, normalized_name, created_at) VALUES (%s, %s, %s)",
            companies,
        )
        first_company = cursor.execute("SELECT min(id) FROM registrants_company").fetchone()[0]
        rows = []
        for g in range(1, n + 10_001):
            event = big.pk if g <= n else other.pk
            name = f"{FIRST[g % len(FIRST)]} {LAST[(g // len(FIRST)) % len(LAST)]} {g}"
            company = None if g % 10 == 0 else first_company + (g * 7) % 2000
            rows.append((event, company, name, f"guest{g}@example.org", "attendee",
                         STATUSES[g % len(STATUSES)], f"code-{g:08d}", now, now))  # fmt: skip
        cursor.executemany(
            "INSERT INTO registrants_registrant (event_id, company_id, name, email, guest_type,"
            " status, check_in_code, created_at, updated_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)",
            rows,
        )
        cursor.execute("ANALYZE")
    return big.pk, rows[n // 3][2]


def timed(call, repeat: int) -> dict:
    call()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    return summary(times)


def summary(times: list[float]) -> dict:
    times = sorted(times)
    return {"p50": round(statistics.median(times), 1), "p99": round(percentile(times, 0.99), 1)}


def without_index(call):
    """`call` with the search index turned off: the search reads every row
    of the event as before decision 0270."""
    from registrants import search_index

    def scan():
        usable = search_index.usable
        search_index.usable = lambda term: False
        try:
            call()
        finally:
            search_index.usable = usable

    return scan


def in_turns(new, old, repeat: int) -> tuple[dict, dict | None]:
    """p50/p99 of `new` and of `old` (None: none), called in turns so that
    both see the same load, after one warm-up each."""
    new()
    if old is None:
        return timed(new, repeat), None
    old()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for call, into in ((new, times[0]), (old, times[1])):
            t0 = time.perf_counter()
            call()
            into.append((time.perf_counter() - t0) * 1000)
    return summary(times[0]), summary(times[1])


def index_megabytes() -> float:
    """The search index's trigrams and folded values, stored."""
    from django.db import connection

    from registrants.search_index import TABLE

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT sum(length(block)) FROM {TABLE}_data)"  # noqa: S608
            f" + (SELECT sum(length(c0) + length(c1)) FROM {TABLE}_content)"
        )
        return cursor.fetchone()[0] / 1e6


def rebuild_seconds() -> float:
    """The rebuild of the search index from the rows (migration 0023's work)."""
    from django.db import connection, transaction

    from registrants import search_index

    started = time.perf_counter()
    with transaction.atomic():
        search_index.install(connection)
    return time.perf_counter() - started


def naive(event_id: int, search: str, status: str | None = None):
    """The previous API query: `event_id = e`, -id, 51 rows."""
    from registrants import selectors
    from registrants.search import registrant_search

    qs = selectors.registrant_list().filter(event_id=event_id).filter(registrant_search(search))
    if status:
        qs = qs.filter(status=status)
    return lambda: list(qs.order_by("-id")[:51])


def run(args: argparse.Namespace, workdir: Path) -> dict:
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    import logging

    logging.disable(logging.INFO)
    from django.core.management import call_command
    from django.test import Client

    from registrants.tests.factories import make_user

    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    event, someone = fill(args.registrants)
    print(f"filled {args.registrants:,} + 10,000 in {time.perf_counter() - started:.1f} s")
    client = Client()
    client.force_login(make_user("bench-organiser", "organiser"))

    def get(path: str, **params):
        def call():
            response = client.get(path + "?" + urlencode(params))
            assert response.status_code == 200, response.content[:300]

        return call

    rebuild = rebuild_seconds()
    print(f"search index rebuilt from {args.registrants + 10_000:,} rows in {rebuild:.1f} s,"
          f" {index_megabytes():.1f} MB")  # fmt: skip
    api, page = "/api/v1/registrants/", f"/events/{event}/registrants/"
    searches = {
        "API list: search 'garcia'": (get(api, event=event, search="garcia"),
                                      naive(event, "garcia")),
        "API list: search a full name": (get(api, event=event, search=someone),
                                         naive(event, someone)),
        "API list: status + 'zoe lovelace'": (
            get(api, event=event, status="entered", search="zoe lovelace"),
            naive(event, "zoe lovelace", "entered")),
        "API list: search 'zzq' (no match)": (get(api, event=event, search="zzq"), None),
        "API list: 'example' (every email)": (get(api, event=event, search="example"), None),
        "API list: search 'ga' (no index)": (get(api, event=event, search="ga"), None),
        "list page: search 'garcia'": (get(page, search="garcia"), None),
        "list page: search a full name": (get(page, search=someone), None),
        "list page: status + 'zoe lovelace'": (
            get(page, status="entered", search="zoe lovelace"), None),
        "desk search: a full name": (get(f"/events/{event}/desk/search/", code=someone), None),
        "desk search: 'lovelace'": (get(f"/events/{event}/desk/search/", code="lovelace"), None),
    }  # fmt: skip
    others = {
        "stats (API)": get(f"/api/v1/events/{event}/stats/"),
        "dashboard numbers": get(f"/events/{event}/dashboard/numbers.json"),
    }
    results: dict = {"rebuild_s": round(rebuild, 2)}
    print(f"{'read':<36} {'p50 ms':>8} {'p99 ms':>8} {'scan p50':>9} {'naive p50':>10}")
    for name, (new, old) in searches.items():
        r, scan = in_turns(new, without_index(new), args.repeat)
        n = timed(old, max(3, args.repeat // 4)) if old else None
        results[name] = {"new": r, "scan": scan, "naive": n}
        print(f"{name:<36} {r['p50']:>8} {r['p99']:>8} {scan['p50'] if scan else '-':>9}"
              f" {n['p50'] if n else '-':>10}", flush=True)  # fmt: skip
    for name, call in others.items():
        r = timed(call, args.repeat)
        results[name] = {"new": r}
        print(f"{name:<36} {r['p50']:>8} {r['p99']:>8} {'-':>9} {'-':>10}", flush=True)
    return results


def main(argv=None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rd-sqlite-lists-") as tmp:
        results = run(args, Path(tmp))
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print("RESULT " + json.dumps({"registrants": args.registrants, "load": load, "reads": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
