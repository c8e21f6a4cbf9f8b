"""Large bulk jobs run where imports run: in a thread of the web process in
the embedded default, on a real Celery worker with Redis (PostgreSQL)."""

from __future__ import annotations

import time

import pytest

from registrants import bulk_jobs, tasks
from registrants.lifecycle import Status
from registrants.models import BulkJob, Registrant, StatusChange
from registrants.permissions import role_kinds
from registrants.tests.factories import EventFactory, make_registrant

pytestmark = pytest.mark.django_db(transaction=True)


def _create(organiser, n: int) -> tuple[BulkJob, list[int]]:
    event = EventFactory(capacity=n)
    ids = [make_registrant(event, name=f"Guest {i}").pk for i in range(n)]
    job = bulk_jobs.bulk_job_create(
        event=event,
        actor=organiser,
        action="check_in",
        to_status=Status.CHECKED_IN,
        allowed_kinds=role_kinds(organiser),
        ids=ids,
    )
    return job, ids


def _wait_until_finished(job: BulkJob, *, bound: float, log=lambda: "") -> BulkJob:
    """Bounded only so that a job that never ends fails the test."""
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.finished:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job still {job.state} after {bound} s\n{log()}")


def test_without_a_broker_the_job_runs_in_a_thread_of_this_process(organiser, settings):
    settings.IMPORT_RUNNER = ""
    settings.CELERY_BROKER_URL = "memory://"
    job, ids = _create(organiser, 12)
    job = _wait_until_finished(job, bound=60)
    assert (job.state, job.changed, job.processed) == (BulkJob.State.DONE, 12, 12)
    assert StatusChange.objects.filter(to_status=Status.CHECKED_IN).count() == 12


@pytest.mark.postgres
@pytest.mark.slow
def test_a_celery_worker_runs_the_job(organiser, settings, monkeypatch, redis_server):
    from imports.tests.test_worker import Worker
    from live.tests.servers import database_url_for_current_test_db

    def send(job_id: int) -> None:
        with tasks.app.connection_for_write(redis_server.url) as connection:
            tasks.run_bulk_job.apply_async((job_id,), connection=connection)

    monkeypatch.setattr(tasks, "dispatch", send)
    monkeypatch.setattr(bulk_jobs, "JOB_CHUNK", 4)
    worker = Worker(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url_for_current_test_db(),
            "REDIS_URL": redis_server.url,
            "LOG_LEVEL": "INFO",
        }
    )
    worker.start()
    try:
        job, ids = _create(organiser, 10)
        job = _wait_until_finished(job, bound=90, log=worker.output)
    finally:
        worker.close()
    assert (job.state, job.changed, job.processed) == (BulkJob.State.DONE, 10, 10)
    assert set(Registrant.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        Status.CHECKED_IN
    }
