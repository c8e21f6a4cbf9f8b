#!/usr/bin/env python
"""What reads by status cost without an index on status (migration 0008).

    .venv/bin/python bench/status_reads.py [--registrants 100000] [--database-url URL]

Since migration 0008 no index of the registrant table holds `status`, so
that status changes are HOT updates on PostgreSQL (docs/decisions/0007).
This measures the other side of that trade, in one run:

1. creates a throwaway PostgreSQL database (rd_bench_status_<pid>) on the
   server of --database-url, migrates it, and fills two events with
   --registrants registrants each (40 % registered, 15 % checked in, 30 %
   entered, 10 % exited, 5 % cancelled) in one SQL statement, then ANALYZE;
2. times, through the application's own code where it has one (best of
   --repeat runs, milliseconds): the seat count a registration makes under
   the event lock (registrants.services.seats_taken), the dashboard's
   numbers (registrants.selectors.event_stats), the count of one status
   (a status-filtered list's paginator), and a page of that list;
3. creates the former `(event, status)` index, ANALYZE, and times the same
   reads again; prints both, and one JSON line; drops the database, also
   on Ctrl-C or an error.
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

SEED = """
INSERT INTO registrants_registrant
    (name, email, guest_type, status, check_in_code, created_at, updated_at, event_id)
SELECT 'Person ' || md5(i::text), 'p' || i || '@example.org', 'attendee',
       CASE WHEN i %% 100 < 40 THEN 'registered' WHEN i %% 100 < 55 THEN 'checked_in'
            WHEN i %% 100 < 85 THEN 'entered' WHEN i %% 100 < 95 THEN 'exited'
            ELSE 'cancelled' END,
       'code-' || i, now(), now(), CASE WHEN i %% 2 = 0 THEN %(a)s ELSE %(b)s END
FROM generate_series(1, %(n)s) AS i
"""


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--registrants", type=int, default=100_000, help="per event (two events)")
    p.add_argument("--database-url", default=DEFAULT_SERVER_URL)
    p.add_argument("--repeat", type=int, default=5)
    return p.parse_args(argv)


def best_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return round(1000 * min(times), 1)


def timings(event, repeat: int) -> dict[str, float]:
    from registrants.models import Registrant
    from registrants.selectors import event_stats
    from registrants.services import seats_taken

    exited = Registrant.objects.filter(event_id=event.pk, status="exited")
    return {
        "seat count (registration)": best_ms(lambda: seats_taken(event_id=event.pk), repeat),
        "dashboard numbers": best_ms(lambda: event_stats(event=event), repeat),
        "count of one status": best_ms(exited.count, repeat),
        "page of a status filter": best_ms(
            lambda: list(exited.order_by("name", "id")[1000:1050]), repeat
        ),
    }


def run(args: argparse.Namespace) -> dict:
    import datetime as dt

    import django
    from django.core.management import call_command

    django.setup()
    from django.db import connection

    from registrants.models import Event, Registrant

    call_command("migrate", interactive=False, verbosity=0)
    n = args.registrants
    a, b = (
        Event.objects.create(name=name, date=dt.date(2026, 11, 26), capacity=2 * n)
        for name in ("Status reads", "Another event")
    )
    with connection.cursor() as cursor:
        cursor.execute(SEED, {"a": a.pk, "b": b.pk, "n": 2 * n})
        cursor.execute("ANALYZE registrants_registrant")
    assert Registrant.objects.filter(event=a).count() == n
    without = timings(a, args.repeat)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE INDEX bench_event_status ON registrants_registrant (event_id, status)"
        )
        cursor.execute("ANALYZE registrants_registrant")
    with_index = timings(a, args.repeat)
    return {"registrants_per_event": n, "without_index_ms": without, "with_index_ms": with_index}


def main(argv=None) -> int:
    args = parse_args(argv)
    dbname = f"rd_bench_status_{os.getpid()}"
    result = run_in_throwaway_database(args.database_url, dbname, lambda: run(args))
    n = result["registrants_per_event"]
    print(f"reads by status, {n:,} registrants in the event (and {n:,} in another), best ms")
    print(f"  {'read':28} {'no status index (now)':>22} {'(event, status) index':>22}")
    for name, ms in result["without_index_ms"].items():
        print(f"  {name:28} {ms:>22} {result['with_index_ms'][name]:>22}")
    print("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
