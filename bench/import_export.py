#!/usr/bin/env python
"""Import 100,000 registrants into PostgreSQL and export them again.

    .venv/bin/python bench/import_export.py [--rows 100000] [--database-url URL] [--no-xlsx]

One command does everything, and undoes it:

1. creates a fresh PostgreSQL database (rd_bench_imports_<pid>) on the server
   of --database-url (the helpers mirror bench/scan_throughput.py), migrates
   it, creates an organiser and an event with room for everyone;
2. writes a CSV (and an XLSX) file of --rows registrants spread over 200
   companies and every guest type;
3. imports the CSV exactly as a worker does (imports.services.import_job_run,
   all-or-nothing: validate everything, then one transaction of bulk inserts);
4. exports the event through the real view (Django test client, streamed
   content consumed chunk by chunk) as CSV and as XLSX;
5. optionally imports the XLSX into a second event;
6. checks the database (exact counts, one creation history row each, no
   duplicate emails) and prints time and peak RSS of each step, plus one
   JSON line; then drops the database, also on Ctrl-C or an error.

Wall time depends on what else the machine runs (the load average is
printed); CPU seconds of this process are printed beside it, and those of
the PostgreSQL backend serving it (read from /proc, so for a local server).

Peak memory is this process's resident set high-water mark (VmHWM in
/proc/self/status), reset before each step by writing 5 to
/proc/self/clear_refs, so each figure is that step's own peak, Django and
its libraries included (the baseline is printed too).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

if not __package__:  # run as a file: import bench.harness from the repository root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench.harness.database import DEFAULT_SERVER_URL, create_database, database_url, drop_database

TARGETS = {"import_s": 10.0, "export_s": 5.0, "peak_mb": 250.0}
GUEST_TYPES = ["attendee", "speaker", "sponsor", "exhibitor", "staff", "press", "vip"]


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument(
        "--database-url",
        default=DEFAULT_SERVER_URL,
        help="PostgreSQL server to create the throwaway database on",
    )
    p.add_argument("--no-xlsx", action="store_true", help="skip the XLSX import")
    p.add_argument("--keep-db", action="store_true")
    return p.parse_args(argv)


# --- Memory -------------------------------------------------------------------------------


def rss_mb(field: str = "VmRSS") -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
    except OSError:
        pass


def server_cpu() -> float:
    """CPU seconds used so far by the PostgreSQL backend serving this
    process's connection (read from /proc: the bench's server is local), or
    NaN when it cannot be read. With the load average, it tells what the
    database did from what the machine's other work added to the wall time."""
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


class Step:
    """Times a step and reads its peak RSS."""

    def __init__(self, name: str, results: dict) -> None:
        self.name, self.results = name, results

    def __enter__(self):
        reset_peak()
        self.server = server_cpu()
        self.start, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        seconds = time.perf_counter() - self.start
        cpu = time.process_time() - self.cpu
        server = server_cpu() - self.server
        self.results[self.name] = {
            "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 2),
            "server_cpu_seconds": round(server, 2),
            "peak_rss_mb": round(rss_mb("VmHWM"), 1),
        }
        print(
            f"  {self.name:<14} {seconds:7.2f} s wall  {cpu:6.2f} s CPU (this process)"
            f"  {server:6.2f} s CPU (PostgreSQL)   peak RSS {rss_mb('VmHWM'):6.1f} MB"
        )
        return False


# --- Files ---------------------------------------------------------------------------------


def person(i: int) -> list[str]:
    return [
        f"Guest {i}",
        f"guest{i}@bench.example",
        f"Bench Company {i % 200}",
        GUEST_TYPES[i % len(GUEST_TYPES)],
    ]


def write_csv(path: Path, rows: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["Full name", "E-mail", "Organisation", "Type"])
        writer.writerows(person(i) for i in range(rows))


def write_xlsx(path: Path, rows: int) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Registrants")
    sheet.append(["Full name", "E-mail", "Organisation", "Type"])
    for i in range(rows):
        sheet.append(person(i))
    workbook.save(path)


class LocalFile:
    """What import_job_create needs of an upload, for a file on disk."""

    def __init__(self, path: Path) -> None:
        self.path, self.name, self.size = path, path.name, path.stat().st_size

    def chunks(self, size: int = 1024 * 1024):
        with open(self.path, "rb") as f:
            while chunk := f.read(size):
                yield chunk


# --- The run -------------------------------------------------------------------------------


def run(args: argparse.Namespace, workdir: Path) -> dict:
    import datetime as dt

    import django
    from django.core.management import call_command

    django.setup()
    from django.conf import settings
    from django.test import Client

    from imports import services
    from imports.models import ImportJob
    from registrants.models import Event, Registrant, StatusChange
    from registrants.tests.factories import make_user

    # Run the job in this thread when it is queued: with the default runner
    # (a thread, no Redis here) it raced the import_job_run call below, and
    # the step could end before the import did.
    settings.IMPORT_RUNNER = "inline"
    call_command("migrate", interactive=False, verbosity=0)
    organiser = make_user("bench-organiser", "organiser")
    event = Event.objects.create(
        name="Import bench", date=dt.date(2026, 11, 26), capacity=args.rows
    )
    csv_path = workdir / "registrants.csv"
    write_csv(csv_path, args.rows)
    results: dict = {
        "rows": args.rows,
        "csv_mb": round(csv_path.stat().st_size / 2**20, 1),
        "baseline_rss_mb": round(rss_mb(), 1),
    }
    results["load_average"] = os.getloadavg()[0]
    print(
        f"{args.rows:,} rows, CSV {results['csv_mb']} MB, baseline RSS "
        f"{results['baseline_rss_mb']} MB, load average {results['load_average']:.1f} "
        f"on {os.cpu_count()} cores"
    )

    with Step("import_csv", results):
        job = services.import_job_create(
            event_id=event.pk, upload=LocalFile(csv_path), actor=organiser
        )
        services.import_job_run(job_id=job.pk)
    job = ImportJob.objects.get(pk=job.pk)
    assert (job.state, job.created) == ("done", args.rows), (job.state, job.message)

    client = Client()
    client.force_login(organiser)
    for fmt in ("csv", "xlsx"):
        with Step(f"export_{fmt}", results):
            response = client.get(f"/api/v1/events/{event.pk}/export/?format={fmt}")
            size = sum(len(chunk) for chunk in response.streaming_content)
        assert response.status_code == 200, response.status_code
        results[f"export_{fmt}"]["mb"] = round(size / 2**20, 1)

    if not args.no_xlsx:
        xlsx_path = workdir / "registrants.xlsx"
        write_xlsx(xlsx_path, args.rows)
        second = Event.objects.create(
            name="Import bench XLSX", date=dt.date(2026, 11, 27), capacity=args.rows
        )
        with Step("import_xlsx", results):
            job2 = services.import_job_create(
                event_id=second.pk, upload=LocalFile(xlsx_path), actor=organiser
            )
            services.import_job_run(job_id=job2.pk)
        job2 = ImportJob.objects.get(pk=job2.pk)
        assert (job2.state, job2.created) == ("done", args.rows), (job2.state, job2.message)

    registrants = Registrant.objects.filter(event=event)
    checks = {
        "registrants": registrants.count(),
        "distinct_emails": registrants.values("email").distinct().count(),
        "history_rows": StatusChange.objects.filter(event=event, source="import").count(),
    }
    assert set(checks.values()) == {args.rows}, checks
    results["checks"] = checks
    results["load_average_end"] = os.getloadavg()[0]
    return results


def main(argv=None) -> int:
    args = parse_args(argv)
    dbname = f"rd_bench_imports_{os.getpid()}"
    create_database(args.database_url, dbname)
    workdir = Path(tempfile.mkdtemp(prefix="rd-bench-imports-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DATABASE_URL": database_url(args.database_url, dbname),
            "REDIS_URL": "",
            "IMPORT_UPLOAD_DIR": str(workdir / "uploads"),
            "LOG_LEVEL": "WARNING",
            "DEBUG": "false",
        }
    )
    warnings.filterwarnings("ignore", message="No directory at")
    try:
        results = run(args, workdir)
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(workdir, ignore_errors=True)
        if not args.keep_db:
            drop_database(args.database_url, dbname)
    peak = max(
        v["peak_rss_mb"] for v in results.values() if isinstance(v, dict) and "peak_rss_mb" in v
    )
    verdict = {
        "import_csv_under_10s": results["import_csv"]["seconds"] < TARGETS["import_s"],
        "export_csv_under_5s": results["export_csv"]["seconds"] < TARGETS["export_s"],
        "export_xlsx_under_5s": results["export_xlsx"]["seconds"] < TARGETS["export_s"],
        "peak_under_250mb": peak < TARGETS["peak_mb"],
    }
    print(json.dumps({**results, "peak_rss_mb": peak, "targets_met": verdict}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
