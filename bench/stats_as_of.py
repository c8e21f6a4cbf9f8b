#!/usr/bin/env python
"""What the stats cost as of a past moment (`?at=`) next to the live stats.

    .venv/bin/python bench/stats_as_of.py [--registrants 100000] [--repeat 30]
        [--database-url postgres://postgres@127.0.0.1:5432/ | --sqlite]
        [--explain]

1. creates a throwaway database (PostgreSQL: rd_bench_as_of_<pid> on the
   server of --database-url; SQLite: a temporary file), migrates it and
   fills one event with --registrants registrants (40 % registered, 15 %
   checked in, 30 % entered after an exit and a re-entry, 10 % exited, 5 %
   cancelled: ~2.7 history rows each over a night of six hours), then
   ANALYZE;
2. times what GET /events/{id}/stats/ runs (the selector and the
   serializer), --repeat times live and --repeat times `at` a moment drawn
   over the night, and prints p50/p99 in milliseconds and one JSON line;
3. with --explain, prints the plan of the as-of query (EXPLAIN ANALYZE on
   PostgreSQL, EXPLAIN QUERY PLAN on SQLite); drops the database, also on
   an error. Self-contained: it shares no helper with the other benches.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

NIGHT_START = datetime.datetime(2026, 12, 5, 17, 0, tzinfo=datetime.UTC)
NIGHT_SECONDS = 6 * 3600
# Status -> the path of history rows that brings a registrant there.
PATHS = {
    "registered": ["registered"],
    "checked_in": ["registered", "checked_in"],
    "entered": ["registered", "checked_in", "entered", "exited", "entered"],
    "exited": ["registered", "checked_in", "entered", "exited"],
    "cancelled": ["registered", "cancelled"],
}
SHARES = [("registered", 40), ("checked_in", 15), ("entered", 30), ("exited", 10), ("cancelled", 5)]
GUEST_TYPES = ["attendee", "speaker", "sponsor", "exhibitor", "staff", "press", "vip"]


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--registrants", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/")
    p.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead")
    p.add_argument("--explain", action="store_true")
    return p.parse_args(argv)


def _admin(url: str, statement: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(statement)


def status_of(i: int) -> str:
    slot, upto = i % 100, 0
    for status, share in SHARES:
        upto += share
        if slot < upto:
            return status
    return "registered"


def seed(n: int) -> int:
    """One event of `n` registrants with their histories; its id."""
    from django.db import connection, transaction

    from registrants.models import Company, Event, Registrant
    from registrants.sql.bulk import insert_seeded

    rnd = random.Random(17)
    event = Event.objects.create(name="Bench night", date=NIGHT_START.date(), capacity=n * 2)
    companies = Company.objects.bulk_create(
        Company(name=f"Company {i}", normalized_name=f"company {i}") for i in range(300)
    )
    people, chains = [], []
    for i in range(n):
        people.append(
            Registrant(
                event=event,
                name=f"Person {i}",
                email=f"p{i}@example.org",
                guest_type=GUEST_TYPES[i % len(GUEST_TYPES)],
                company=companies[i % 300] if i % 4 else None,
                check_in_code=f"code-{i}",
            )
        )
        at = NIGHT_START + datetime.timedelta(seconds=rnd.randrange(NIGHT_SECONDS // 3))
        chain, previous = [], ""
        for to_status in PATHS[status_of(i)]:
            chain.append((previous, to_status, at, "system"))
            previous = to_status
            at += datetime.timedelta(seconds=rnd.randrange(60, NIGHT_SECONDS // 8))
        chains.append(chain)
    # Through the one writer of seeded data: each status is its chain's last.
    with transaction.atomic():
        rows = insert_seeded(people, chains, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"seeded {n} registrants, {rows} history rows", flush=True)
    return event.pk


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(event_id: int, repeat: int, explain: bool) -> dict:
    from django.db import connection

    from registrants import history_as_of
    from registrants.api.serializers import EventStatsSerializer
    from registrants.models import Event

    event = Event.objects.get(pk=event_id)
    rnd = random.Random(3)

    def timed(at) -> float:
        started = time.perf_counter()
        EventStatsSerializer(history_as_of.event_stats_as_of(event=event, at=at)).data  # noqa: B018
        return (time.perf_counter() - started) * 1000

    timed(None)  # warm the caches once
    live = [timed(None) for _ in range(repeat)]
    moments = [
        NIGHT_START + datetime.timedelta(seconds=rnd.randrange(NIGHT_SECONDS))
        for _ in range(repeat)
    ]
    past = [timed(at) for at in moments]
    if explain:
        sql = history_as_of._status_at_sql()
        prefix = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
        at = connection.ops.adapt_datetimefield_value(moments[0])
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql, [event_id, at])
            print("\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall()))
    return {
        "database": connection.vendor,
        "live_p50_ms": round(statistics.median(live), 1),
        "live_p99_ms": round(percentile(live, 0.99), 1),
        "as_of_p50_ms": round(statistics.median(past), 1),
        "as_of_p99_ms": round(percentile(past, 0.99), 1),
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    dbname = f"rd_bench_as_of_{os.getpid()}"
    scratch = tempfile.TemporaryDirectory()
    if args.sqlite:
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(scratch.name, 'bench.sqlite3')}"
    else:
        parts = urlsplit(args.database_url)
        os.environ["DATABASE_URL"] = urlunsplit(
            (parts.scheme, parts.netloc, "/" + dbname, parts.query, "")
        )
        _admin(args.database_url, f'CREATE DATABASE "{dbname}"')
    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        result = measure(seed(args.registrants), args.repeat, args.explain)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.sqlite:
            _admin(args.database_url, f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        scratch.cleanup()
    print(
        f"live stats   p50 {result['live_p50_ms']:8.1f} ms  p99 {result['live_p99_ms']:8.1f} ms\n"
        f"stats ?at=   p50 {result['as_of_p50_ms']:8.1f} ms  p99 {result['as_of_p99_ms']:8.1f} ms"
    )
    print(json.dumps({"registrants": args.registrants, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
