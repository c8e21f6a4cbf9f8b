"""Import jobs: modes, validation report, capacity, duplicates, companies,
history rows, and the task's idempotency (RELIABILITY F5)."""

from __future__ import annotations

import datetime
import shutil
import threading
from pathlib import Path

import openpyxl
import pytest
from django.db import connection, connections
from django.utils import timezone

from imports import services
from imports.models import ImportJob, ImportRowError, ImportUpload
from imports.tasks import run_import
from registrants.errors import ApplicationError
from registrants.models import Company, Registrant, Source, StatusChange
from registrants.tests.factories import CompanyFactory, EventFactory, make_registrant, make_user
from registrants.tests.invariants import assert_invariants

from .conftest import csv_bytes, people, upload_file

pytestmark = pytest.mark.django_db


def run(
    event, content, actor, *, mode="all_or_nothing", force=False, name="people.csv", capture=None
) -> ImportJob:
    """Upload and run the job (inline), as after the upload's commit."""
    job = services.import_job_create(
        event_id=event.pk, upload=upload_file(content, name), actor=actor, mode=mode, force=force
    )
    services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def errors_of(job):
    return list(
        ImportRowError.objects.filter(job=job)
        .order_by("id")
        .values_list("row", "column", "message")
    )


def test_all_rows_valid_creates_registrants_with_creation_history(organiser):
    event = EventFactory(capacity=100)
    job = run(event, csv_bytes(people(10)), organiser)
    assert (job.state, job.created, job.failed, job.total, job.processed) == ("done", 10, 0, 10, 10)
    assert job.finished_at and job.started_at and job.attempts == 1
    assert Registrant.objects.filter(event=event, status="registered").count() == 10
    history = StatusChange.objects.filter(event=event)
    assert history.count() == 10
    assert set(history.values_list("from_status", "to_status", "source", "actor_id", "note")) == {
        ("", "registered", Source.IMPORT, organiser.pk, f"import #{job.pk}")
    }
    assert not ImportUpload.objects.filter(job_id=job.pk).exists()  # gone once finished
    assert_invariants([event.pk])


def test_invalid_rows_are_reported_with_row_column_and_message(organiser):
    event = EventFactory()
    rows = [
        ("Ada", "ada@example.com", "", ""),
        ("", "bob@example.com", "", ""),
        ("Cy", "not-an-email", "", ""),
        ("Di", "di@example.com", "", "alien"),
    ]
    job = run(event, csv_bytes(rows), organiser, mode="valid_rows")
    assert errors_of(job) == [
        (3, "name", "Name is missing."),
        (4, "email", '"not-an-email" is not a valid email address.'),
        (
            5,
            "guest_type",
            'Unknown guest type "alien"; use one of: attendee, speaker, sponsor, '
            "exhibitor, staff, press, vip.",
        ),
    ]
    assert (job.state, job.created, job.failed) == ("done", 1, 3)


def test_all_or_nothing_imports_nothing_when_one_row_is_invalid(organiser):
    event = EventFactory()
    rows = [*people(50), ("No Email", "", "", "")]
    job = run(event, csv_bytes(rows), organiser)
    assert (job.state, job.created, job.failed) == ("failed", 0, 1)
    assert "nothing was imported" in job.message
    assert errors_of(job) == [(52, "email", "Email is missing.")]
    assert not Registrant.objects.filter(event=event).exists()
    assert not Company.objects.exists()


def test_valid_rows_mode_imports_the_valid_rows(organiser):
    event = EventFactory()
    rows = [*people(5), ("", "x@example.com", "", ""), *people(5, start=5)]
    job = run(event, csv_bytes(rows), organiser, mode="valid_rows")
    assert (job.state, job.created, job.failed) == ("done", 10, 1)
    assert Registrant.objects.filter(event=event).count() == 10


def test_guest_types_accept_labels_in_any_case_and_default_to_attendee(organiser):
    event = EventFactory()
    rows = [
        ("A", "a@example.com", "", "VIP"),
        ("B", "b@example.com", "", "Speaker"),
        ("C", "c@example.com", "", ""),
    ]
    run(event, csv_bytes(rows), organiser)
    assert dict(Registrant.objects.values_list("name", "guest_type")) == {
        "A": "vip",
        "B": "speaker",
        "C": "attendee",
    }


def test_emails_keep_their_local_part_and_lower_case_the_domain(organiser):
    event = EventFactory()
    run(event, csv_bytes([("A", " Ada.L@Example.COM ", "", "")]), organiser)
    assert Registrant.objects.get().email == "Ada.L@example.com"


def test_companies_are_matched_after_normalisation_and_new_ones_created(organiser):
    event = EventFactory()
    google = CompanyFactory(name="Google")
    rows = [
        ("A", "a@example.com", " google ", ""),
        ("B", "b@example.com", "GOOGLE", ""),
        ("C", "c@example.com", "Initech  Ltd", ""),
        ("D", "d@example.com", "initech ltd", ""),
        ("E", "e@example.com", "", ""),
    ]
    run(event, csv_bytes(rows), organiser)
    assert Company.objects.count() == 2
    initech = Company.objects.get(normalized_name="initech")
    assert initech.name == "Initech Ltd"  # the first spelling seen, whitespace collapsed
    assert dict(Registrant.objects.values_list("name", "company_id")) == {
        "A": google.pk,
        "B": google.pk,
        "C": initech.pk,
        "D": initech.pk,
        "E": None,
    }


def test_xlsx_upload_is_imported(organiser, tmp_path):
    event = EventFactory()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Full name", "E-mail", "Organisation", "Type"])
    for i in range(30):
        sheet.append([f"P {i}", f"p{i}@example.com", "Acme", "press"])
    path = tmp_path / "people.xlsx"
    workbook.save(path)
    job = run(event, path.read_bytes(), organiser, name="people.xlsx")
    assert (job.state, job.created, job.total) == ("done", 30, 30)
    assert Registrant.objects.filter(guest_type="press").count() == 30


def test_a_file_error_fails_the_job_with_one_clear_message(organiser):
    event = EventFactory()
    job = run(event, b"Full name,Organisation\nAda,Acme\n", organiser)
    assert job.state == "failed"
    assert errors_of(job) == [(None, "", job.message)]
    assert job.message.startswith("Missing required column: email")


def test_header_only_fails_the_job(organiser):
    job = run(EventFactory(), b"name,email\n", organiser)
    assert job.state == "failed"
    assert "no registrants" in job.message


def test_more_rows_than_the_limit_is_a_file_error(organiser, settings):
    settings.IMPORT_MAX_ROWS = 20
    job = run(EventFactory(), csv_bytes(people(21)), organiser)
    assert job.state == "failed"
    assert "more than 20 rows" in job.message
    assert not Registrant.objects.exists()


def test_empty_upload_is_refused_before_a_job_exists(organiser):
    with pytest.raises(ApplicationError) as exc:
        services.import_job_create(
            event_id=EventFactory().pk, upload=upload_file(b""), actor=organiser
        )
    assert exc.value.code == "validation_error"
    assert not ImportJob.objects.exists()


# --- Capacity ---------------------------------------------------------------------


def test_capacity_reached_mid_file_all_or_nothing_imports_nothing(organiser):
    event = EventFactory(capacity=10)
    make_registrant(event)
    make_registrant(event)
    job = run(event, csv_bytes(people(12)), organiser)
    assert (job.state, job.created, job.failed) == ("failed", 0, 4)
    assert "8 free seats for 12 registrants" in job.message
    rows = errors_of(job)
    assert [r[0] for r in rows] == [10, 11, 12, 13]  # the 9th valid row and after
    assert {r[2] for r in rows} == {"Capacity exceeded: no seat was left for this row."}
    assert Registrant.objects.filter(event=event).count() == 2


def test_capacity_reached_mid_file_valid_rows_imports_up_to_capacity(organiser):
    event = EventFactory(capacity=10)
    make_registrant(event)
    cancelled = make_registrant(event, status="cancelled")  # holds no seat
    rows = [*people(3), ("", "bad@example.com", "", ""), *people(9, start=3)]
    job = run(event, csv_bytes(rows), organiser, mode="valid_rows")
    assert (job.state, job.created, job.failed) == ("done", 9, 4)
    report = errors_of(job)
    assert report[0] == (5, "name", "Name is missing.")
    assert [r[0] for r in report[1:]] == [12, 13, 14]
    assert Registrant.objects.filter(event=event).exclude(pk=cancelled.pk).count() == 10
    assert_invariants([event.pk])


# --- Duplicates -------------------------------------------------------------------


def test_same_file_again_for_the_same_event_is_refused(organiser):
    event = EventFactory()
    content = csv_bytes(people(3))
    first = run(event, content, organiser)
    with pytest.raises(ApplicationError) as exc:
        services.import_job_create(
            event_id=event.pk, upload=upload_file(content, "copy.csv"), actor=organiser
        )
    assert exc.value.code == "duplicate_import"
    assert exc.value.details["import_id"] == first.pk
    assert ImportJob.objects.count() == 1
    assert not ImportUpload.objects.exists()  # the refused copy was never kept


def test_same_file_with_force_is_imported_again(organiser):
    event = EventFactory()
    content = csv_bytes(people(3))
    run(event, content, organiser)
    again = run(event, content, organiser, force=True)
    assert (again.state, again.created, again.forced) == ("done", 3, True)
    assert Registrant.objects.filter(event=event).count() == 6


def test_same_file_into_another_event_is_not_a_duplicate(organiser):
    content = csv_bytes(people(3))
    run(EventFactory(), content, organiser)
    assert run(EventFactory(), content, organiser).state == "done"


def test_a_failed_import_does_not_block_the_same_file(organiser):
    event = EventFactory(capacity=2)
    content = csv_bytes(people(3))
    assert run(event, content, organiser).state == "failed"
    event.capacity = 5
    event.save(update_fields=["capacity"])
    assert run(event, content, organiser).state == "done"


# --- Delivery, claiming, recovery (F4, F5) --------------------------------------------


def queued_job(event, actor, content) -> ImportJob:
    return services.import_job_create(
        event_id=event.pk, upload=upload_file(content), actor=actor, mode="valid_rows"
    )


def test_the_same_task_delivered_twice_creates_no_duplicates(organiser):
    """F5: the second delivery finds the job done and does nothing."""
    event = EventFactory()
    job = queued_job(event, organiser, csv_bytes(people(25)))
    run_import.apply(args=(job.pk,), throw=True)
    run_import.apply(args=(job.pk,), throw=True)
    job.refresh_from_db()
    assert (job.state, job.created, job.attempts) == ("done", 25, 1)
    assert Registrant.objects.filter(event=event).count() == 25
    assert StatusChange.objects.filter(event=event).count() == 25


def test_a_redelivery_after_a_commit_sees_the_marker_and_writes_nothing(organiser, settings):
    """F5: even if the job row looks unfinished (say a stale takeover raced
    the commit), the committed rows are found by the job's marker."""
    event = EventFactory()
    content = csv_bytes(people(25))
    job = queued_job(event, organiser, content)
    kept = bytes(ImportUpload.objects.get(job_id=job.pk).content)
    run_import.apply(args=(job.pk,), throw=True)
    ImportUpload.objects.create(job_id=job.pk, content=kept)
    ImportJob.objects.filter(pk=job.pk).update(state="running", heartbeat_at=None)
    run_import.apply(args=(job.pk,), throw=True)
    job.refresh_from_db()
    assert (job.state, job.created, job.attempts) == ("done", 25, 2)
    assert "earlier attempt" in job.message
    assert Registrant.objects.filter(event=event).count() == 25


def test_a_job_running_with_a_fresh_heartbeat_is_left_alone(organiser):
    event = EventFactory()
    job = queued_job(event, organiser, csv_bytes(people(3)))
    ImportJob.objects.filter(pk=job.pk).update(
        state="running", heartbeat_at=timezone.now(), attempts=1
    )
    services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.state, job.attempts) == ("running", 1)
    assert not Registrant.objects.exists()


def test_a_stale_running_job_is_taken_over(organiser, settings):
    event = EventFactory()
    job = queued_job(event, organiser, csv_bytes(people(3)))
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.IMPORT_STALE_SECONDS + 1)
    ImportJob.objects.filter(pk=job.pk).update(state="running", heartbeat_at=long_ago, attempts=1)
    services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.state, job.created, job.attempts) == ("done", 3, 2)


def test_a_job_interrupted_too_often_ends_failed_not_stuck(organiser, settings):
    event = EventFactory()
    job = queued_job(event, organiser, csv_bytes(people(3)))
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.IMPORT_STALE_SECONDS + 1)
    ImportJob.objects.filter(pk=job.pk).update(
        state="running", heartbeat_at=long_ago, attempts=services.MAX_ATTEMPTS
    )
    services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == "failed"
    assert "interrupted 3 times" in job.message
    assert not Registrant.objects.exists()


def test_stale_jobs_are_requeued_when_a_worker_starts(organiser, settings):
    event = EventFactory()
    job = queued_job(event, organiser, csv_bytes(people(3)))
    fresh = queued_job(event, organiser, csv_bytes(people(3, start=3)))
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.IMPORT_STALE_SECONDS + 1)
    ImportJob.objects.filter(pk=job.pk).update(state="running", heartbeat_at=long_ago, attempts=1)
    ImportJob.objects.filter(pk=fresh.pk).update(state="running", heartbeat_at=timezone.now())
    assert services.import_jobs_requeue_stale() == [job.pk]  # run inline here
    job.refresh_from_db()
    assert (job.state, job.created) == ("done", 3)


def test_an_error_inside_the_import_transaction_leaves_nothing(organiser, monkeypatch):
    """F4 in miniature: whatever stops the batch half way, nothing is kept.
    (Chunked inserts: the second chunk's company lookup fails. SQLite's
    staged import: its history insert fails, after the registrants'.)"""
    from registrants import services as registrant_services
    from registrants.models import StatusChange as SC
    from registrants.sql import bulk

    event = EventFactory(capacity=10_000)
    job = queued_job(event, organiser, csv_bytes(people(4500)))
    if connection.vendor == "sqlite":
        module, name, fail_at = bulk, "_creation_row", 1
    else:
        module, name, fail_at = registrant_services.imports, "_company_ids_for", 2
    real = getattr(module, name)
    calls = []

    def fail_half_way(*args, **kwargs):
        calls.append(1)
        if len(calls) == fail_at:
            raise RuntimeError("worker lost")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, fail_half_way)
    with pytest.raises(RuntimeError):
        services.import_job_run(job_id=job.pk)
    assert len(calls) == fail_at
    assert not Registrant.objects.filter(event=event).exists()
    assert not SC.objects.filter(event=event).exists()
    job.refresh_from_db()
    assert job.state == "running"  # until a new delivery or the stale sweep takes it
    monkeypatch.setattr(module, name, real)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=None)
    services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.state, job.created) == ("done", 4500)
    assert Registrant.objects.filter(event=event).count() == 4500


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_deliveries_running_at_once_create_no_duplicates(settings):
    """F5 under concurrency: both deliveries claim (the first looks stale),
    the event lock serialises them, the second finds the first's rows."""
    settings.IMPORT_STALE_SECONDS = 0
    organiser = make_user("olga-race", "organiser")
    event = EventFactory(capacity=20_000)
    job = queued_job(event, organiser, csv_bytes(people(6000)))
    barrier, failures = threading.Barrier(2), []

    def deliver():
        try:
            barrier.wait()
            services.import_job_run(job_id=job.pk)
        except Exception as exc:  # reported below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failures == []
    job.refresh_from_db()
    assert (job.state, job.created) == ("done", 6000)
    assert Registrant.objects.filter(event=event).count() == 6000
    assert Registrant.objects.filter(event=event).values("email").distinct().count() == 6000
    assert StatusChange.objects.filter(event=event).count() == 6000


def test_a_job_runs_on_a_node_that_never_saw_the_upload(organiser, settings, tmp_path):
    """The node that took the upload keeps nothing on its disk that the
    import needs: with that disk gone and another IMPORT_UPLOAD_DIR (another
    node's worker), the job is imported, and nothing is left behind."""
    event = EventFactory()
    job = services.import_job_create(
        event_id=event.pk, upload=upload_file(csv_bytes(people(4))), actor=organiser
    )
    shutil.rmtree(settings.IMPORT_UPLOAD_DIR, ignore_errors=True)
    settings.IMPORT_UPLOAD_DIR = str(tmp_path / "another-node")
    services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.state, job.created) == ("done", 4), job.message
    assert Registrant.objects.filter(event=event).count() == 4
    assert list(Path(settings.IMPORT_UPLOAD_DIR).iterdir()) == []  # its copy removed
