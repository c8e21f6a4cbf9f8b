"""Large bulk actions as background jobs: chunks with progress, refusals
listed first, safe to run twice, resumed after a dead runner, and the
actor's access read again when the job runs."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import F
from django.utils import timezone

from accounts.models import EventAssignment
from registrants import bulk_jobs, services
from registrants.lifecycle import Kind, Status
from registrants.models import BulkJob, Registrant, StatusChange
from registrants.permissions import role_kinds
from registrants.tests.factories import EventFactory, make_registrant, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _inline(settings, monkeypatch):
    settings.IMPORT_RUNNER = "inline"
    monkeypatch.setattr(bulk_jobs, "JOB_CHUNK", 3)


def _crowd(event, n: int, **kwargs) -> list[Registrant]:
    return [make_registrant(event, name=f"Person {i:02}", **kwargs) for i in range(n)]


def _create(event, actor, ids, to_status=Status.CHECKED_IN) -> BulkJob:
    return bulk_jobs.bulk_job_create(
        event=event,
        actor=actor,
        action="check_in",
        to_status=to_status,
        allowed_kinds=role_kinds(actor),
        ids=ids,
    )


def test_a_job_changes_every_row_in_chunks_and_lists_refusals_first(organiser):
    event = EventFactory(capacity=100)
    people = _crowd(event, 8)
    cancelled = make_registrant(event, name="Gone", status=Status.CANCELLED)
    ids = [p.pk for p in people] + [cancelled.pk]
    job = _create(event, organiser, ids)
    assert (job.state, job.total, job.processed) == (BulkJob.State.DONE, 9, 9)
    assert (job.changed, job.unchanged, job.refused) == (8, 0, 1)
    assert job.attempts == 1 and job.finished_at is not None
    assert set(Registrant.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        Status.CHECKED_IN,
        Status.CANCELLED,
    }
    refusal = next(row for row in job.listed if not row["ok"])
    assert refusal["id"] == cancelled.pk and refusal["code"] == "invalid_transition"
    assert StatusChange.objects.filter(actor=organiser, to_status=Status.CHECKED_IN).count() == 8


def test_the_listed_rows_are_capped_and_keep_every_refusal_first(organiser, monkeypatch):
    monkeypatch.setattr(bulk_jobs, "LISTED", 2)
    event = EventFactory(capacity=100)
    people = _crowd(event, 5)
    done = [make_registrant(event, name=f"Done {i}", status=Status.CANCELLED) for i in range(2)]
    job = _create(event, organiser, [p.pk for p in people] + [d.pk for d in done])
    refused = [row["id"] for row in job.listed if not row["ok"]]
    assert refused == [d.pk for d in done]
    assert len(job.listed) == 4  # two refusals, two others: the panel takes the first two


def test_running_again_records_nothing_new(organiser):
    event = EventFactory(capacity=100)
    ids = [p.pk for p in _crowd(event, 7)]
    first = _create(event, organiser, ids)
    history = StatusChange.objects.count()
    bulk_jobs.bulk_job_run(job_id=first.pk)  # finished: left alone
    again = _create(event, organiser, ids)  # the same action confirmed twice
    assert (again.changed, again.unchanged, again.refused) == (0, 7, 0)
    assert StatusChange.objects.count() == history
    first.refresh_from_db()
    assert first.attempts == 1


def test_a_job_left_running_by_a_dead_runner_is_taken_over_and_finished(organiser, monkeypatch):
    event = EventFactory(capacity=100)
    ids = [p.pk for p in _crowd(event, 8)]
    real = services.registrants_bulk_change_status
    calls = []

    def dies_on_the_second_chunk(**kwargs):
        calls.append(kwargs["registrant_ids"])
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process goes away: no time to record it
        return real(**kwargs)

    monkeypatch.setattr(services, "registrants_bulk_change_status", dies_on_the_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        _create(event, organiser, ids)
    job = BulkJob.objects.get()
    assert (job.state, job.processed, job.changed) == (BulkJob.State.RUNNING, 3, 3)
    assert bulk_jobs.bulk_jobs_requeue_stale() == []  # its heartbeat is fresh
    BulkJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert bulk_jobs.bulk_jobs_requeue_stale() == [job.pk]
    job.refresh_from_db()
    assert (job.state, job.processed, job.changed, job.attempts) == (BulkJob.State.DONE, 8, 8, 2)
    assert calls[2] == ids[3:6]  # went on from the first chunk not done
    assert StatusChange.objects.filter(to_status=Status.CHECKED_IN).count() == 8


def test_a_job_interrupted_too_often_is_given_up(organiser):
    event = EventFactory()
    ids = [p.pk for p in _crowd(event, 2)]
    job = BulkJob.objects.create(
        event=event,
        actor=organiser,
        action="check_in",
        to_status=Status.CHECKED_IN,
        allowed_kinds=[Kind.FORWARD],
        ids=ids,
        total=2,
        state=BulkJob.State.RUNNING,
        attempts=bulk_jobs.MAX_ATTEMPTS,
    )
    bulk_jobs.bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == BulkJob.State.FAILED and "given up" in job.message
    assert not StatusChange.objects.filter(to_status=Status.CHECKED_IN).exists()


def test_an_actor_who_lost_the_event_changes_nothing(staff):
    event, other = EventFactory(), EventFactory()
    ids = [p.pk for p in _crowd(event, 4)]
    job = BulkJob.objects.create(
        event=event,
        actor=staff,
        action="check_in",
        to_status=Status.CHECKED_IN,
        allowed_kinds=sorted(role_kinds(staff)),
        ids=ids,
        total=4,
    )
    EventAssignment.objects.create(user=staff, event=other)
    bulk_jobs.bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == BulkJob.State.FAILED and "no longer have access" in job.message
    assert set(Registrant.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        Status.REGISTERED
    }


def test_a_staff_job_may_only_make_the_moves_of_staff():
    staff = make_user("door", "checkin_staff")
    event = EventFactory()
    ids = [p.pk for p in _crowd(event, 2, status=Status.CHECKED_IN)]
    job = bulk_jobs.bulk_job_create(
        event=event,
        actor=staff,
        action="cancel",
        to_status=Status.CANCELLED,
        allowed_kinds=frozenset(Kind),  # whatever the caller claims
        ids=ids,
    )
    assert (job.state, job.changed, job.refused) == (BulkJob.State.DONE, 0, 2)
    assert {row["code"] for row in job.listed} == {"permission_denied"}


def test_a_runner_that_lost_the_job_to_a_takeover_rolls_its_chunk_back(organiser, monkeypatch):
    event = EventFactory(capacity=100)
    ids = [p.pk for p in _crowd(event, 5)]
    real = services.registrants_bulk_change_status

    def taken_over_meanwhile(**kwargs):
        results = real(**kwargs)
        # Another runner claimed the job while this chunk was being written.
        BulkJob.objects.update(attempts=F("attempts") + 1)
        return results

    monkeypatch.setattr(services, "registrants_bulk_change_status", taken_over_meanwhile)
    job = _create(event, organiser, ids)
    assert (job.state, job.processed, job.changed) == (BulkJob.State.RUNNING, 0, 0)
    assert not StatusChange.objects.filter(to_status=Status.CHECKED_IN).exists()
