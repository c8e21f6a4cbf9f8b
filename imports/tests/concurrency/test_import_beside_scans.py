"""A large import does not hold up writes in other events (on SQLite too:
the rows are staged outside the write lock, then moved in one short step),
and an import that fails keeps nothing, staged rows included."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from imports import services, streaming
from imports.models import ImportJob, ImportUpload
from registrants import services as registrant_services
from registrants.models import Company, Registrant, StatusChange
from registrants.tests.factories import EventFactory, make_registrant, make_user

from ..conftest import csv_bytes, people, upload_file

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PAUSE_AT = 5000  # registrants built by the import before it pauses
WAIT = 60  # seconds; only reached when the scan is held up (the failure)


def test_a_scan_in_another_event_completes_while_an_import_runs(monkeypatch):
    """The import pauses half way through building its rows and waits for a
    desk scan in another event. If the import held the write lock there (as
    it did on SQLite for the whole insert), the scan would wait for the
    import and the import for the scan: the scan would not complete."""
    organiser = make_user("olga-beside", "organiser")
    target = EventFactory(capacity=20_000)
    other = EventFactory()
    code = make_registrant(other).check_in_code
    job = ImportJob.objects.create(
        event=target, actor=organiser, filename="people.csv", content_hash="x"
    )
    ImportUpload.objects.create(job=job, content=csv_bytes(people(12_000)))

    # Pause where rows become inserts: building the registrants (SQLite,
    # and any bulk_create path) or, on PostgreSQL's streamed pass, checking
    # the rows while the import transaction COPYs the earlier chunks.
    built = [0]
    paused, scanned = threading.Event(), threading.Event()
    if connection.vendor == "sqlite":
        owner, name = Registrant, "__init__"
    else:
        owner, name = streaming, "validate_row"
    real = getattr(owner, name)

    def counting(*args, **kwargs):
        result = real(*args, **kwargs)
        if threading.current_thread().name != "desk-scan":
            built[0] += 1
            if built[0] == PAUSE_AT:
                paused.set()
                scanned.wait(WAIT)
        return result

    monkeypatch.setattr(owner, name, counting)
    failures: list[BaseException] = []

    def run_import() -> None:
        try:
            services.import_job_run(job_id=job.pk)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    importer = threading.Thread(target=run_import)
    importer.start()
    try:
        assert paused.wait(WAIT), "the import never reached its rows"
        outcome: list[object] = []

        def scan() -> None:
            try:
                outcome.append(
                    registrant_services.registrant_scan(code=code, mode="desk", event_id=other.pk)
                )
            except BaseException as exc:
                outcome.append(exc)
            finally:
                scanned.set()
                connections.close_all()

        scanner = threading.Thread(target=scan, name="desk-scan")
        scanner.start()
        scanner.join(WAIT)
        completed_during_import = scanned.is_set() and importer.is_alive()
    finally:
        scanned.set()
        importer.join(WAIT * 2)
    assert completed_during_import, "the scan waited for the import"
    assert outcome and getattr(outcome[0], "changed", False) is True, outcome
    assert not failures, failures
    job.refresh_from_db()
    assert (job.state, job.created) == ("done", 12_000), job.message
    assert Registrant.objects.get(check_in_code=code).status == "checked_in"
    assert StatusChange.objects.filter(event=target).count() == 12_000


def test_an_import_refused_for_capacity_keeps_nothing_staged_or_created():
    """All or nothing, more valid rows than seats: no registrant, no history
    row, no company of the file, and no staging table left behind."""
    organiser = make_user("olga-full", "organiser")
    event = EventFactory(capacity=2500)
    rows = people(3000, company="Staged Only Ltd")
    job = services.import_job_create(
        event_id=event.pk, upload=upload_file(csv_bytes(rows)), actor=organiser
    )  # run inline as the upload commits
    job.refresh_from_db()
    assert job.state == "failed" and "2500 free seats" in job.message, job.message
    assert not Registrant.objects.filter(event=event).exists()
    assert not StatusChange.objects.filter(event=event).exists()
    assert not Company.objects.filter(name="Staged Only Ltd").exists()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_temp_master WHERE type = 'table'")
            assert cursor.fetchall() == []
