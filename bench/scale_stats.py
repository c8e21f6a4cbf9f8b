"""The dashboard's numbers at scale: the counters against the naive reads
(the code before the counters, kept here), side by side in one run.

    .venv/bin/python bench/scale.py --database rd_scale_counters  # PostgreSQL, 1M
    .venv/bin/python bench/scale_stats.py --sqlite 100000           # SQLite, 100k

On PostgreSQL (called by bench/scale.py, Django set up, event 1 the big
event), --scanners threads scan badges of event 1 through the gateway's SQL
statement (registrants.sql.scans.pg_scan_sql: entries and exits, so the
counters move) during the whole measurement; they write, so they only run
on a copy of the data set, never on the shared rd_scale. Each read is
measured through the real endpoints (the API's stats, the dashboard's
numbers) and as a call (the live tiles' counts, the seat count), new and
naive alternating, so both see the same load.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: import bench.* from the repository root
    sys.path[0] = str(Path(__file__).resolve().parents[1])


# --- The naive reads: registrants/selectors.py before the counters ------------------


def naive_event_stats(*, event, top_companies: int = 10) -> dict[str, Any]:
    from django.db.models import Count, Q
    from django.utils import timezone

    from registrants.lifecycle import SEAT_HOLDING, Status
    from registrants.models import GuestType, Registrant
    from registrants.selectors import _arrivals, _occupancy

    registrants = Registrant.objects.filter(event_id=event.pk)
    status_counts = registrants.aggregate(
        total=Count("id"), **{s.value: Count("id", filter=Q(status=s)) for s in Status}
    )
    total = status_counts.pop("total")
    attendees = total - status_counts[Status.CANCELLED]
    attending = registrants.filter(status__in=SEAT_HOLDING)
    guest_counts = dict(
        attending.values_list("guest_type").annotate(n=Count("id")).values_list("guest_type", "n")
    )
    company_rows = list(
        attending.values("company_id", "company__name")
        .annotate(n=Count("id"))
        .order_by("-n", "company__name")
    )
    named = [r for r in company_rows if r["company_id"] is not None]
    top = named[:top_companies]
    return {
        "event": event.pk, "generated_at": timezone.now(), "capacity": event.capacity,
        "total": total, "attendees": attendees, "on_site": status_counts[Status.ENTERED],
        "seats_left": max(0, event.capacity - attendees), "by_status": status_counts,
        "by_guest_type": {g: guest_counts.get(g, 0) for g in GuestType.values},
        "companies": {
            "top": [{"id": r["company_id"], "name": r["company__name"], "count": r["n"]}
                    for r in top],
            "others": sum(r["n"] for r in named[top_companies:]),
            "others_companies": max(0, len(named) - len(top)),
            "no_company": sum(r["n"] for r in company_rows if r["company_id"] is None),
        },
        "arrivals": _arrivals(event.pk), "occupancy": _occupancy(event.pk),
    }  # fmt: skip


def naive_event_counts(*, event_id: int) -> dict[str, Any]:
    from django.db.models import Count, Q

    from registrants.lifecycle import Status
    from registrants.models import Registrant, StatusChange

    counts = Registrant.objects.filter(event_id=event_id).aggregate(
        **{s.value: Count("id", filter=Q(status=s)) for s in Status}
    )
    last = StatusChange.objects.filter(event_id=event_id).order_by("-id").values_list("id")[:1]
    return {"by_status": counts, "last_change_id": list(last)}


def naive_seats_taken(*, event_id: int) -> int:
    from registrants.lifecycle import SEAT_HOLDING
    from registrants.models import Registrant

    return Registrant.objects.filter(event_id=event_id, status__in=SEAT_HOLDING).count()


# --- Measuring -----------------------------------------------------------------------


def _ms(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def side_by_side(pairs: dict[str, tuple[Callable, Callable]], repeat: int, naive_repeat: int):
    """{read: {"new": [ms...], "naive": [ms...]}}, new and naive alternating."""
    times: dict[str, dict[str, list[float]]] = {}
    for name, (new, naive) in pairs.items():
        new()  # warm-up
        if naive is not None:
            naive()
        runs = times[name] = {"new": [], "naive": []}
        for i in range(repeat):
            runs["new"].append(_ms(new))
            if naive is not None and i < naive_repeat:
                runs["naive"].append(_ms(naive))
    return times


def print_table(times: dict[str, dict[str, list[float]]], note: str) -> dict[str, Any]:
    print(f"\n{note}")
    print(f"{'read':<30} {'new p50':>9} {'new p99':>9} {'naive p50':>10} {'ratio':>8}")
    summary = {}
    for name, runs in times.items():
        new = statistics.median(runs["new"])
        naive = statistics.median(runs["naive"]) if runs["naive"] else float("nan")
        p99 = sorted(runs["new"])[max(0, int(len(runs["new"]) * 0.99) - 1)]
        summary[name] = {"new_p50": round(new, 2), "new_p99": round(p99, 2),
                         "naive_p50": round(naive, 1), "n": len(runs["new"]),
                         "naive_n": len(runs["naive"])}  # fmt: skip
        print(f"{name:<30} {new:>9.2f} {p99:>9.2f} {naive:>10.1f} {naive / new:>7.0f}x")
    return summary


def _scan(dsn: str, seed: int, codes: list[str], rate: float, stop, done) -> None:
    """One scanner process: event 1's badges in and out until `stop`."""
    import psycopg

    from registrants.sql.scans import pg_scan_sql

    rng = random.Random(seed)
    with psycopg.connect(dsn, autocommit=True) as conn:
        while not stop.is_set():
            mode = rng.choice(["entry", "entry", "exit"])
            params = {"code": rng.choice(codes), "event": 1, "actor": None,
                      "now": datetime.datetime.now(datetime.UTC)}  # fmt: skip
            conn.execute(pg_scan_sql(mode), params)
            done[seed] += 1
            if rate:
                time.sleep(1 / rate)


class Scanners:
    """`count` processes (not threads: the measuring thread must not wait
    for their interpreter lock) scanning event 1's badges in and out
    through the gateway's SQL statement, each on its own connection."""

    def __init__(self, dsn: str, count: int, rate: float) -> None:
        self.dsn, self.count, self.rate = dsn, count, rate

    def __enter__(self) -> Scanners:
        import multiprocessing

        import psycopg

        with psycopg.connect(self.dsn) as conn:
            codes = [c for (c,) in conn.execute(
                "SELECT check_in_code FROM registrants_registrant WHERE event_id = 1"
                " AND status <> 'cancelled' AND erased_at IS NULL ORDER BY random() LIMIT 50000"
            )]  # fmt: skip
        context = multiprocessing.get_context("fork")
        self.stop, self.done = context.Event(), context.Array("l", self.count)
        self.processes = [
            context.Process(target=_scan, daemon=True,
                            args=(self.dsn, i, codes, self.rate, self.stop, self.done))
            for i in range(self.count)
        ]  # fmt: skip
        for process in self.processes:
            process.start()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for process in self.processes:
            process.join(30)
        self.seconds = time.perf_counter() - self.started

    def note(self) -> str:
        return (
            f"{self.count} scanners, {sum(self.done) / self.seconds:.0f} scans/s during the reads"
        )


def measure_postgres(get: Callable, *, dsn: str, scanners: int, scan_rate: float,
                     repeat: int, naive_repeat: int) -> dict[str, Any]:  # fmt: skip
    """bench/scale.py's part: stats, dashboard numbers, live counts and the
    seat count of event 1, new against naive, while `scanners` write."""
    from unittest import mock

    from django.db import connection

    from registrants import selectors, services
    from registrants.models import Event

    event = Event.objects.get(pk=1)

    def naive_stats_of(*, event_id: int, top_companies: int = 10) -> dict[str, Any] | None:
        found = Event.objects.filter(pk=event_id).first()
        return (
            None if found is None else naive_event_stats(event=found, top_companies=top_companies)
        )

    def naive_stats_and_feed(*, event_id: int, limit: int = 50) -> selectors.DashboardReads:
        # The dashboard's numbers: the naive stats, then the feed.
        found = Event.objects.filter(pk=event_id).first()
        return selectors.DashboardReads(
            stats=None if found is None else naive_event_stats(event=found),
            feed=selectors.event_feed(event_id=event_id, limit=limit),
            time_zone=None if found is None else found.time_zone,
        )

    def naive(path: str) -> Callable[[], Any]:
        def call():
            with (
                mock.patch.object(selectors, "event_stats_of", naive_stats_of),
                mock.patch.object(selectors, "event_stats_and_feed", naive_stats_and_feed),
            ):
                return get(path)

        return call

    def jit_on(path: str) -> Callable[[], Any]:
        # The server's own JIT setting, as the application ran before
        # decision 0230: the same read, alternating with the new rows.
        def call():
            with connection.cursor() as cursor:
                cursor.execute("SET jit = on")
            try:
                return get(path)
            finally:
                with connection.cursor() as cursor:
                    cursor.execute("SET jit = off")

        return call

    pairs = {
        "stats (API)": (lambda: get("/api/v1/events/1/stats/"), naive("/api/v1/events/1/stats/")),
        "stats (API), JIT on": (jit_on("/api/v1/events/1/stats/"), None),
        "dashboard numbers": (
            lambda: get("/events/1/dashboard/numbers.json"),
            naive("/events/1/dashboard/numbers.json"),
        ),
        "dashboard numbers, JIT on": (jit_on("/events/1/dashboard/numbers.json"), None),
        "live tiles (event_counts)": (
            lambda: selectors.event_counts(event_id=1),
            lambda: naive_event_counts(event_id=1),
        ),
        "seat count (registration)": (
            lambda: services.seats_taken(event_id=1),
            lambda: naive_seats_taken(event_id=1),
        ),
    }
    same = (
        selectors.event_stats(event=event)["by_status"]
        == naive_event_stats(event=event)["by_status"]
    )
    print(f"counters equal the rows before the scanners start: {same}")
    if scanners:
        with Scanners(dsn, scanners, scan_rate) as running:
            times = side_by_side(pairs, repeat, naive_repeat)
        note = running.note()
    else:
        times, note = side_by_side(pairs, repeat, naive_repeat), "no scanners"
    load = os.getloadavg()
    summary = print_table(times, f"Numbers of event 1 ({note}; load {load[0]:.1f})")
    return {"load": load, "scanners": note, "reads": summary}


# --- SQLite, the embedded default --------------------------------------------------


def _fill_sqlite(size: int) -> None:
    """One event of `size` registrants (an import), a third of them walked
    through check-in and entry, some out again, over a day."""
    from django.db import connection, transaction
    from django.utils import timezone

    from registrants import services
    from registrants.models import GuestType
    from registrants.services.imports import ImportedRegistrant
    from registrants.sql.history import STATUS_UPDATE
    from registrants.sql.scans import SQLITE_SCAN_HISTORY

    rng = random.Random(18)
    event = services.event_create(name="Big", date=datetime.date(2026, 12, 1), capacity=size)
    rows = [
        ImportedRegistrant(row=i, name=f"Person {i}", email=f"p{i}@example.com",
                           guest_type=rng.choice(GuestType.values),
                           company=rng.choice(["", *(f"Company {c}" for c in range(2000))]))
        for i in range(size)
    ]  # fmt: skip
    services.registrants_import_batch(event_id=event.pk, rows=rows, expected=None, actor=None,
                                      marker="bench", all_or_nothing=True)  # fmt: skip
    start = timezone.now() - datetime.timedelta(hours=10)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT id FROM registrants_registrant WHERE event_id = %s", [event.pk])
        ids = [i for (i,) in cursor.fetchall()]
        for rid in rng.sample(ids, size // 3):
            at = start + datetime.timedelta(seconds=rng.randint(0, 36000))
            steps = [("registered", "checked_in"), ("checked_in", "entered")]
            if rng.random() < 0.3:
                steps.append(("entered", "exited"))
            for frm, to in steps:
                cursor.execute(SQLITE_SCAN_HISTORY, [rid, event.pk, frm, to, at, None, None])
                at += datetime.timedelta(minutes=rng.randint(1, 90))
            cursor.execute(STATUS_UPDATE, [steps[-1][1], at, rid])


def sqlite_main(size: int, repeat: int, naive_repeat: int) -> int:
    folder = tempfile.mkdtemp(prefix="rd-scale-stats-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/db.sqlite3"
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    import logging

    logging.disable(logging.INFO)
    from django.core.management import call_command

    from registrants import selectors, services
    from registrants.models import Event

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    _fill_sqlite(size)
    print(f"SQLite: {size} registrants made in {time.perf_counter() - started:.0f} s")
    event = Event.objects.get(name="Big")
    new, naive = selectors.event_stats(event=event), naive_event_stats(event=event)
    keys = ("by_status", "by_guest_type", "companies", "arrivals", "occupancy")
    print(f"counters equal the rows: {all(new[k] == naive[k] for k in keys)}")
    pairs = {
        "stats (event_stats)": (lambda: selectors.event_stats(event=event),
                                lambda: naive_event_stats(event=event)),
        "live tiles (event_counts)": (lambda: selectors.event_counts(event_id=event.pk),
                                      lambda: naive_event_counts(event_id=event.pk)),
        "seat count (registration)": (lambda: services.seats_taken(event_id=event.pk),
                                      lambda: naive_seats_taken(event_id=event.pk)),
    }  # fmt: skip
    times = side_by_side(pairs, repeat, naive_repeat)
    load = os.getloadavg()
    summary = print_table(times, f"SQLite, {size} registrants (load {load[0]:.1f})")
    print("RESULT " + json.dumps({"sqlite": size, "load": load, "reads": summary}))
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sqlite", type=int, default=100_000, help="registrants in the event")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--naive-repeat", type=int, default=10)
    args = parser.parse_args()
    raise SystemExit(sqlite_main(args.sqlite, args.repeat, args.naive_repeat))
