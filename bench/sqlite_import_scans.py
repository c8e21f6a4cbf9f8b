#!/usr/bin/env python
"""Desk scans and registrations in another event during a large SQLite import.

    .venv/bin/python bench/sqlite_import_scans.py [--rows 94000] [--interval 0.05]

The embedded default (SQLite, one writer at a time). One command:

1. creates a fresh SQLite file in a temporary directory, migrates it, and
   makes two events: one to import into, one with 2,000 registrants to scan;
2. writes a CSV of --rows registrants;
3. runs the import (imports.services.import_job_run, all or nothing) in a
   thread, exactly as the embedded default's runner does;
4. meanwhile, from another thread with its own connection, every
   --interval seconds: a desk scan of the next registrant of the other
   event (registrant_scan) and, every fifth time, a registration there;
5. prints the import's time and the latency of each kind of write during
   it (count, median, 99th percentile, worst), plus one JSON line.

Run it before and after a change to the import path to compare; figures
depend on the machine and its load (the load average is printed).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

if not __package__:  # run as a file: import from the repository root
    sys.path[0] = str(Path(__file__).resolve().parents[1])


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=94_000)
    p.add_argument("--interval", type=float, default=0.05, help="seconds between writes")
    return p.parse_args(argv)


def write_csv(path: Path, rows: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["name", "email", "company", "guest_type"])
        writer.writerows(
            (f"Guest {i}", f"guest{i}@bench.example", f"Company {i % 200}", "attendee")
            for i in range(rows)
        )


def summary(latencies: list[float]) -> dict:
    if not latencies:
        return {"count": 0}
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        "count": len(ordered),
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(p99 * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def run(args: argparse.Namespace, workdir: Path) -> dict:
    import datetime as dt

    import django
    from django.core.management import call_command

    django.setup()
    from django.conf import settings
    from django.db import connections

    from bench.import_export import LocalFile
    from imports import services
    from imports.models import ImportJob
    from registrants import services as registrant_services
    from registrants.models import Event, Registrant
    from registrants.tests.factories import make_user

    settings.IMPORT_RUNNER = "inline"
    call_command("migrate", interactive=False, verbosity=0)
    organiser = make_user("bench-organiser", "organiser")
    target = Event.objects.create(name="Imported", date=dt.date(2026, 11, 26), capacity=args.rows)
    other = Event.objects.create(name="At the desk", date=dt.date(2026, 11, 26), capacity=10_000)
    for i in range(2000):
        registrant_services.registrant_register(
            event_id=other.pk, name=f"Desk {i}", email=f"desk{i}@bench.example"
        )
    codes = list(Registrant.objects.filter(event=other).values_list("check_in_code", flat=True))
    path = workdir / "registrants.csv"
    write_csv(path, args.rows)
    connections.close_all()

    done = threading.Event()
    timings: dict[str, float] = {}

    def importer() -> None:
        try:
            started = time.perf_counter()
            # The inline runner runs the job as the upload commits.
            job = services.import_job_create(
                event_id=target.pk, upload=LocalFile(path), actor=organiser
            )
            timings["import_s"] = time.perf_counter() - started
            timings["job_id"] = job.pk
        finally:
            done.set()
            connections.close_all()

    scans: list[float] = []
    registrations: list[float] = []
    errors: list[str] = []

    def desk() -> None:
        n = 0
        try:
            while not done.is_set():
                started = time.perf_counter()
                try:
                    registrant_services.registrant_scan(
                        code=codes[n % len(codes)], mode="desk", event_id=other.pk
                    )
                    scans.append(time.perf_counter() - started)
                    if n % 5 == 0:
                        started = time.perf_counter()
                        registrant_services.registrant_register(
                            event_id=other.pk, name=f"Walk-in {n}", email=f"walkin{n}@bench.example"
                        )
                        registrations.append(time.perf_counter() - started)
                except Exception as exc:  # counted, and the run goes on
                    waited = time.perf_counter() - started
                    errors.append(f"{type(exc).__name__}: {exc} after {waited:.1f} s")
                n += 1
                time.sleep(args.interval)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=importer), threading.Thread(target=desk)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    job = ImportJob.objects.get(pk=timings["job_id"])
    assert (job.state, job.created) == ("done", args.rows), (job.state, job.message)
    return {
        "rows": args.rows,
        "import_s": round(timings["import_s"], 2),
        "desk_scans": summary(scans),
        "registrations": summary(registrations),
        "errors": errors[:5],
        "error_count": len(errors),
        "load_average": os.getloadavg()[0],
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="rd-bench-sqlite-import-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "REDIS_URL": "",
            "IMPORT_UPLOAD_DIR": str(workdir / "uploads"),
            "LOG_LEVEL": "WARNING",
            "DEBUG": "false",
        }
    )
    try:
        results = run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"import of {results['rows']:,} rows: {results['import_s']} s")
    for kind in ("desk_scans", "registrations"):
        s = results[kind]
        if s["count"]:
            print(
                f"{kind} during it: {s['count']}, median {s['median_ms']} ms, "
                f"p99 {s['p99_ms']} ms, worst {s['max_ms']} ms"
            )
    print(f"errors: {results['error_count']}, load average {results['load_average']:.1f}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
