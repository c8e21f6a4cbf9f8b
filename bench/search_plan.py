#!/usr/bin/env python
"""Whether the accent- and case-blind search stays indexed (migration 0009).

    .venv/bin/python bench/search_plan.py [--registrants 100000] [--database-url URL]
    .venv/bin/python bench/search_plan.py --sqlite   # the same data in a throwaway SQLite file

1. creates a throwaway PostgreSQL database (rd_bench_search_<pid>) on the
   server of --database-url, migrates it, and fills one event with
   --registrants registrants (40 first names, 1,500 last names of which 40
   real ones such as "García" and "Ångström": 1 in 1,500 people is a
   García, as in the demo; 500 companies), in SQL, then ANALYZE;
2. prints EXPLAIN ANALYZE of the registrant list's own queries (the API's
   RegistrantFilter with `search`: the dashboard's count and the first page
   ordered by name) for a few terms, the best time of each (of --repeat),
   and one JSON line; drops the database, also on Ctrl-C or an error.
   With --sqlite the plans are SQLite's (no index: every row is read, and
   only values that are not plain ASCII are folded in Python).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

if not __package__:  # run as a file: import bench.harness from the repository root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench.harness.database import DEFAULT_SERVER_URL, run_in_throwaway_database

FIRST = [
    "Ada", "Alan", "Grace", "Linus", "Margaret", "Ken", "Dennis", "Barbara", "Edsger", "Donald",
    "Frances", "John", "Radia", "Tim", "Vint", "Sophie", "Guido", "Anita", "Niklaus", "Hedy",
    "Zoë", "José", "Chloé", "Søren", "Björn", "Ångel", "Mónica", "Renée", "Jürgen", "Ümit",
    "Wei", "Priya", "Kwame", "Aiko", "Omar", "Lucía", "Hélène", "Tomás", "Inés", "Noël",
]  # fmt: skip
LAST = [
    "García", "Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Thompson", "Ritchie",
    "Liskov", "Dijkstra", "Knuth", "Allen", "McCarthy", "Perlman", "Berners-Lee", "Cerf",
    "Wilson", "van Rossum", "Borg", "Wirth", "Lamarr", "Ångström", "Müller", "Nilsson",
    "Dlamini", "Fernández", "Lin", "Kowalski", "Okafor", "Tanaka", "Rossi", "Dubois",
    "Novak", "Silva", "Kim", "Haddad", "Jensen", "O'Brien", "Schmidt", "Yılmaz",
]  # fmt: skip

SEED_COMPANIES = """
INSERT INTO registrants_company (name, normalized_name, created_at)
SELECT 'Company ' || i || ' ' || md5(i::text), 'company ' || i || ' ' || md5(i::text), now()
FROM generate_series(1, 500) AS i
"""
SEED = """
INSERT INTO registrants_registrant
    (name, email, guest_type, status, check_in_code, created_at, updated_at, event_id, company_id)
SELECT %(first)s::text[] || ' ' || %(last)s::text[] || ' ' || i, 'p' || i || '@example.org',
       'attendee', 'registered', 'code-' || md5(i::text), now(), now(), %(event)s,
       (SELECT min(id) FROM registrants_company) + i %% 500
FROM generate_series(1, %(n)s) AS i
"""
TERMS = ["garcia", "GARCÍA", "ångström", "p4242@", "company 17 ", "ada"]


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--registrants", type=int, default=100_000)
    p.add_argument("--database-url", default=DEFAULT_SERVER_URL)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--sqlite", action="store_true", help="a throwaway SQLite file instead")
    return p.parse_args(argv)


def best_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return round(1000 * min(times), 1)


def _filtered(params: dict):
    from registrants import selectors
    from registrants.filters import RegistrantFilter

    return RegistrantFilter(data=params, queryset=selectors.registrant_list()).qs


def _seed_sqlite(connection, event, n: int, last: list[str]) -> None:
    """The PostgreSQL seed's rows, written from Python (SQLite has no arrays)."""
    import hashlib

    def md5(i: int) -> str:
        return hashlib.md5(str(i).encode()).hexdigest()  # noqa: S324  (names, not security)

    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO registrants_company (name, normalized_name, created_at)"
            " VALUES (%s, %s, datetime('now'))",
            [(f"Company {i} {md5(i)}", f"company {i} {md5(i)}") for i in range(1, 501)],
        )
        cursor.execute("SELECT min(id) FROM registrants_company")
        (first_company,) = cursor.fetchone()
        cursor.executemany(
            "INSERT INTO registrants_registrant (name, email, guest_type, status,"
            " check_in_code, created_at, updated_at, event_id, company_id)"
            " VALUES (%s, %s, 'attendee', 'registered', %s, datetime('now'),"
            " datetime('now'), %s, %s)",
            [
                (
                    f"{FIRST[i % 40]} {last[(i // 40) % 1500]} {i}",
                    f"p{i}@example.org",
                    f"code-{md5(i)}",
                    event.pk,
                    first_company + i % 500,
                )
                for i in range(1, n + 1)
            ],
        )
        cursor.execute("ANALYZE")


def _icontains(term: str, event):
    """The search before migration 0009: case-blind for ASCII only, no index."""
    from django.db.models import Q

    from registrants import selectors

    return selectors.registrant_list().filter(
        Q(event_id=event.pk)
        & (Q(name__icontains=term) | Q(email__icontains=term) | Q(company__name__icontains=term))
    )


def run(args: argparse.Namespace) -> dict:
    import datetime as dt

    import django
    from django.core.management import call_command

    django.setup()
    from django.db import connection

    from registrants.models import Event

    call_command("migrate", interactive=False, verbosity=0)
    n = args.registrants
    event = Event.objects.create(name="Search", date=dt.date(2026, 11, 26), capacity=n)
    last = LAST + [f"Surname{k:04d}" for k in range(1500 - len(LAST))]
    if connection.vendor == "sqlite":
        _seed_sqlite(connection, event, n, last)
    else:
        seed = SEED.replace("%(first)s::text[]", "(%(first)s::text[])[1 + i %% 40]")
        seed = seed.replace("%(last)s::text[]", "(%(last)s::text[])[1 + (i / 40) %% 1500]")
        with connection.cursor() as cursor:
            cursor.execute(SEED_COMPANIES)
            cursor.execute(seed, {"first": FIRST, "last": last, "event": event.pk, "n": n})
            cursor.execute("ANALYZE registrants_registrant")
            cursor.execute("ANALYZE registrants_company")

    result: dict = {"registrants": n, "terms": {}}
    for term in TERMS:
        params = {"search": term, "event": event.pk}
        qs = _filtered(params)
        page = qs.order_by("name", "id")[:50]
        options = {} if connection.vendor == "sqlite" else {"analyze": True}
        count_plan, page_plan = qs.explain(**options), page.explain(**options)
        count_ms = best_ms(lambda p=params: _filtered(p).count(), args.repeat)
        page_ms = best_ms(
            lambda p=params: list(_filtered(p).order_by("name", "id")[:50]), args.repeat
        )
        matches = qs.count()
        before_ms = best_ms(lambda t=term, e=event: _icontains(t, e).count(), args.repeat)
        print(
            f"--- search={term!r}: {matches} matches; count {count_ms} ms, page {page_ms} ms"
            f" (the former icontains search: count {before_ms} ms)"
        )
        print("count:\n" + count_plan)
        print("first page:\n" + page_plan)
        result["terms"][term] = {
            "matches": matches,
            "count_ms": count_ms,
            "page_ms": page_ms,
            "icontains_count_ms": before_ms,
            "trigram_index_used": "_fold_trgm" in count_plan + page_plan,
        }
    return result


def main_sqlite(args: argparse.Namespace) -> int:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/search.sqlite3"
        os.environ.pop("REDIS_URL", None)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
        result = run(args)
        from django.db import connections

        connections.close_all()
    print("RESULT " + json.dumps(result))
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.sqlite:
        return main_sqlite(args)
    dbname = f"rd_bench_search_{os.getpid()}"
    result = run_in_throwaway_database(args.database_url, dbname, lambda: run(args))
    print("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
