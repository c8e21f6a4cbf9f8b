"""The one-pass import on PostgreSQL (imports.runner._run_streamed).

Every test of test_services.py runs here again with committed data
(transactional_db): only then is the job row visible to the producer
thread's connection, so only then does a job take the streaming path (a
job run inside a caller's transaction takes the two-pass one). The tests
below cover what only the streaming path has: progress and the report
written by another connection while the import transaction is open, and
rows that are already in when a late row or the capacity says no.
"""

from __future__ import annotations

import threading

import psycopg
import pytest
from django.db import connections

from imports import dispatching, runner, services, streaming
from imports.models import ImportJob, ImportRowError
from registrants import services as registrant_services
from registrants.models import Company, Registrant, StatusChange
from registrants.tests.factories import EventFactory, make_registrant, make_user
from registrants.tests.invariants import assert_invariants

from . import test_services
from .conftest import csv_bytes, people, upload_file

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# The same behaviour, through the streaming path.
for _name in dir(test_services):
    if _name.startswith("test_"):
        globals()[_name] = getattr(test_services, _name)

CAPACITY = "Capacity exceeded: no seat was left for this row."


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    """2,000 rows a chunk instead of 10,000, so that a few thousand rows
    make several chunks (test_a_committed_job_takes_the_streaming_path
    keeps the real size). Returns the real size."""
    real = streaming.CHUNK_ROWS
    monkeypatch.setattr(streaming, "CHUNK_ROWS", 2000)
    return real


@pytest.fixture(autouse=True)
def uploads_only_queue(monkeypatch):
    """With committed data the upload's on_commit fires, and the inline
    runner would run the job inside import_job_create. The tests run it
    themselves, as with test_services.py's rolled-back data, where the
    upload's commit never comes; other dispatches (requeueing) still run."""
    real_create, real_dispatch = services.import_job_create, dispatching._send
    creating: list[int] = []

    def create(**kwargs):
        creating.append(1)
        try:
            return real_create(**kwargs)
        finally:
            creating.pop()

    def dispatch(job_id):
        if not creating:
            real_dispatch(job_id)

    monkeypatch.setattr(services, "import_job_create", create)
    monkeypatch.setattr(dispatching, "_send", dispatch)


@pytest.fixture
def olga():
    return make_user("olga-stream", "organiser")


@pytest.fixture
def streamed(monkeypatch):
    """Counts the jobs that took the streaming path."""
    calls = []
    real = runner._run_streamed

    def spy(job, path):
        calls.append(job.pk)
        return real(job, path)

    monkeypatch.setattr(runner, "_run_streamed", spy)
    return calls


def create(event, content, actor, mode="all_or_nothing") -> ImportJob:
    return services.import_job_create(
        event_id=event.pk, upload=upload_file(content), actor=actor, mode=mode
    )


def run(event, content, actor, mode="all_or_nothing") -> ImportJob:
    job = create(event, content, actor, mode)
    services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def report(job):
    return list(services.import_job_errors(job_id=job.pk))


def no_producer_left():
    return not [t for t in threading.enumerate() if t.name.endswith("-check")]


def test_a_committed_job_takes_the_streaming_path(olga, streamed, monkeypatch, small_chunks):
    monkeypatch.setattr(streaming, "CHUNK_ROWS", small_chunks)
    event = EventFactory(capacity=30_000)
    job = run(event, csv_bytes(people(21_000)), olga)
    assert streamed == [job.pk]
    assert (job.state, job.created, job.total, job.processed) == ("done", 21_000, 21_000, 21_000)
    assert StatusChange.objects.filter(event=event, note=job.marker).count() == 21_000
    assert no_producer_left()
    assert_invariants([event.pk])


def test_progress_and_report_are_visible_while_the_import_transaction_is_open(olga, streamed):
    """Another connection sees the progress and the row problems of rows the
    import has received, and none of the registrants, until the commit."""
    event = EventFactory(capacity=20_000)
    rows = [*people(5), ("", "nameless@example.com", "", ""), *people(9_994, start=5)]
    job = create(event, csv_bytes(rows), olga, mode="valid_rows")
    third_chunk, release = threading.Event(), threading.Event()
    real = registrant_services.imports._company_ids_for
    calls = []

    def hold_on_third_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            third_chunk.set()
            release.wait(60)
        return real(*args, **kwargs)

    registrant_services.imports._company_ids_for = hold_on_third_chunk
    failures = []

    def work():
        try:
            services.import_job_run(job_id=job.pk)
        except Exception as exc:  # reported below
            failures.append(exc)
        finally:
            connections.close_all()

    worker = threading.Thread(target=work)
    try:
        worker.start()
        assert third_chunk.wait(60)
        # The import holds 4,000 rows uncommitted and is on its third chunk:
        # the producer reported at least the 6,000 rows it had handed over.
        seen = ImportJob.objects.get(pk=job.pk)
        assert (seen.state, seen.stage) == ("running", "importing")
        assert seen.processed >= 6000
        assert seen.total == 10_000
        assert seen.heartbeat_at is not None
        assert report(seen) == [(7, "name", "Name is missing.")]
        assert not Registrant.objects.filter(event=event).exists()
    finally:
        release.set()
        worker.join(120)
        registrant_services.imports._company_ids_for = real
    assert failures == []
    job.refresh_from_db()
    assert (job.state, job.created, job.failed, job.processed) == ("done", 9_999, 1, 10_000)
    assert streamed == [job.pk]


def test_an_invalid_row_late_in_the_file_keeps_nothing_but_the_report(olga, streamed):
    """All or nothing: 6,000 rows were already in when row 6,002 failed."""
    event = EventFactory(capacity=20_000)
    rows = [*people(6000), ("Late", "late@", "", ""), *people(100, start=6000)]
    job = run(event, csv_bytes(rows), olga)
    assert streamed == [job.pk]
    assert (job.state, job.created, job.failed, job.total) == ("failed", 0, 1, 6101)
    assert "1 row of 6,101 has errors, so nothing was imported" in job.message
    assert report(job) == [(6002, "email", '"late@" is not a valid email address.')]
    assert not Registrant.objects.filter(event=event).exists()
    assert not StatusChange.objects.filter(event=event).exists()
    assert not Company.objects.exists()
    assert no_producer_left()


def test_capacity_reached_mid_file_all_or_nothing_rolls_back_what_went_in(olga, streamed):
    event = EventFactory(capacity=5001)
    make_registrant(event)
    job = run(event, csv_bytes(people(7000)), olga)
    assert streamed == [job.pk]
    assert (job.state, job.created, job.failed, job.total) == ("failed", 0, 2000, 7000)
    assert job.message == (
        "The event has 5000 free seats for 7000 registrants; nothing was imported."
        " The file has 7,000 valid rows (all or nothing)."
    )
    errors = report(job)
    assert [r[0] for r in errors] == list(range(5002, 7002))  # the 5,001st valid row on
    assert {r[2] for r in errors} == {CAPACITY}
    assert Registrant.objects.filter(event=event).count() == 1
    assert StatusChange.objects.filter(event=event, note=job.marker).count() == 0


def test_an_invalid_row_after_the_capacity_ran_out_reports_the_invalid_row(olga, streamed):
    """All or nothing: problems in the file come before seats, as in two passes."""
    event = EventFactory(capacity=3000)
    rows = [*people(4000), ("", "x@example.com", "", "")]
    job = run(event, csv_bytes(rows), olga)
    assert (job.state, job.created, job.failed) == ("failed", 0, 1)
    assert "nothing was imported (all or nothing)" in job.message
    assert report(job) == [(4002, "name", "Name is missing.")]
    assert not Registrant.objects.filter(event=event).exists()


def test_capacity_reached_mid_file_valid_rows_keeps_what_fits(olga, streamed):
    event = EventFactory(capacity=5000)
    rows = [("", "a@example.com", "", ""), *people(6999)]
    job = run(event, csv_bytes(rows), olga, mode="valid_rows")
    assert streamed == [job.pk]
    assert (job.state, job.created, job.failed, job.total) == ("done", 5000, 2000, 7000)
    assert job.message == "5,000 registrants imported. 2,000 rows not imported; see the report."
    errors = report(job)
    assert errors[0] == (2, "name", "Name is missing.")
    assert [r[0] for r in errors[1:]] == list(range(5003, 7002))
    assert {r[2] for r in errors[1:]} == {CAPACITY}
    assert Registrant.objects.filter(event=event).count() == 5000
    assert_invariants([event.pk])


def test_a_failure_in_the_middle_of_a_copy_keeps_nothing(olga, streamed, monkeypatch):
    """F4: the server refuses the 1,001st row of the third chunk's COPY
    (no check-in code), after two chunks and 1,000 rows had gone in."""
    event = EventFactory(capacity=20_000)
    job = create(event, csv_bytes(people(8000)), olga)
    real, chunks = registrant_services.imports.new_check_in_codes, []

    def no_code_for_row_1001_of_chunk_3(n):
        chunks.append(n)
        codes = real(n)
        if len(chunks) == 3:
            codes[1000] = None
        return codes

    monkeypatch.setattr(
        registrant_services.imports, "new_check_in_codes", no_code_for_row_1001_of_chunk_3
    )
    with pytest.raises(psycopg.errors.NotNullViolation):
        services.import_job_run(job_id=job.pk)
    assert len(chunks) == 3
    assert no_producer_left()
    assert not Registrant.objects.filter(event=event).exists()
    assert not StatusChange.objects.filter(event=event).exists()
    job.refresh_from_db()
    assert job.state == "running"  # until a new delivery or the stale sweep takes it
    monkeypatch.setattr(registrant_services.imports, "new_check_in_codes", real)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=None)
    services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.state, job.created, job.attempts) == ("done", 8000, 2)
    assert Registrant.objects.filter(event=event).count() == 8000
    assert_invariants([event.pk])


def test_a_file_error_late_in_the_file_keeps_nothing(olga, streamed):
    """An unclosed quote on row 5,002 runs past the field size limit: 4,000
    rows had gone in, and row 2's problem had been reported."""
    event = EventFactory(capacity=20_000)
    content = (
        csv_bytes([("", "a@example.com", "", ""), *people(4999)])
        + b'Broken,"broken@example.com\n'
        + csv_bytes(people(500, start=5000), header=None)
    )
    job = run(event, content, olga, mode="valid_rows")
    assert streamed == [job.pk]
    assert job.state == "failed"
    assert "a field is longer than 10,000 characters" in job.message
    assert "unclosed quote" in job.message
    assert [(column, message) for _, column, message in report(job)] == [("", job.message)]
    assert not Registrant.objects.filter(event=event).exists()
    assert not StatusChange.objects.filter(event=event).exists()
    assert no_producer_left()


def test_more_rows_than_the_limit_found_while_importing_keeps_nothing(
    olga, streamed, monkeypatch, settings
):
    """The limit is checked again as rows are read (XLSX has no upfront count)."""
    settings.IMPORT_MAX_ROWS = 4500
    monkeypatch.setattr(streaming, "_estimate_total", lambda table: None)
    event = EventFactory(capacity=20_000)
    job = run(event, csv_bytes(people(4501)), olga)
    assert job.state == "failed"
    assert "more than 4,500 rows" in job.message
    assert not Registrant.objects.filter(event=event).exists()
    assert not ImportRowError.objects.filter(job=job).exclude(row=None).exists()


def test_all_or_nothing_lets_go_of_the_event_once_a_row_is_invalid(olga, streamed, monkeypatch):
    """The rest of the file is checked after the rollback: registrations for
    the event need not wait for the report."""
    from django.db import DatabaseError, transaction

    from registrants.models import Event

    event = EventFactory(capacity=20_000)
    rows = [*people(3000), ("", "x@example.com", "", ""), *people(3000, start=3000)]
    job = create(event, csv_bytes(rows), olga)
    real, reached, release = streaming.validate_row, threading.Event(), threading.Event()

    def hold_after_row_5000(raw):
        if raw.number == 5000:
            reached.set()
            release.wait(60)
        return real(raw)

    monkeypatch.setattr(streaming, "validate_row", hold_after_row_5000)
    worker = threading.Thread(target=lambda: _run_and_close(job.pk))
    worker.start()
    try:
        assert reached.wait(60)
        free = False
        for _ in range(600):  # the importing thread rolls back on its own
            try:
                with transaction.atomic():
                    Event.objects.select_for_update(nowait=True).get(pk=event.pk)
                free = True
                break
            except DatabaseError:
                threading.Event().wait(0.05)
        assert free, "the event is still locked while the file is being checked"
        assert ImportJob.objects.get(pk=job.pk).state == "running"
    finally:
        release.set()
        worker.join(120)
    job.refresh_from_db()
    assert (job.state, job.created, job.failed, job.total) == ("failed", 0, 1, 6001)
    assert report(job) == [(3002, "name", "Name is missing.")]
    assert not Registrant.objects.filter(event=event).exists()


def _run_and_close(job_id):
    try:
        services.import_job_run(job_id=job_id)
    finally:
        connections.close_all()
