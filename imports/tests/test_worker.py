"""A real Celery worker and a real Redis: an import end to end, and a worker
killed mid-import (RELIABILITY F4).

The worker is `celery -A config.celery_app worker --pool=solo`, a separate
process on this test's PostgreSQL database and a private redis-server, so
the data must be committed (transactional_db) for it to see.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from imports import tasks
from imports.models import ImportJob
from imports.services import import_job_create
from live.tests.servers import ROOT, RedisServer, database_url_for_current_test_db
from registrants.models import Registrant, Source, StatusChange
from registrants.tests.factories import EventFactory, make_user
from registrants.tests.invariants import assert_invariants

from . import hostile_files as hostile
from .conftest import csv_bytes, people, upload_file

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


class Worker:
    """One `celery worker --pool=solo` process with its log in a file."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.log = tempfile.NamedTemporaryFile(prefix="celery-", suffix=".log", delete=False)  # noqa: SIM115
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config.celery_app",
                "worker",
                "--pool=solo",
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, the message stays unacknowledged."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-4000:]

    def close(self) -> None:
        self.stop()
        os.unlink(self.log.name)


@pytest.fixture
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.close()


@pytest.fixture
def worker_env(redis_server, settings, monkeypatch):
    """Environment for worker processes; this process sends its tasks to the
    private Redis too."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for_current_test_db(),
        "REDIS_URL": redis_server.url,
        "IMPORT_UPLOAD_DIR": settings.IMPORT_UPLOAD_DIR,
        "IMPORT_STALE_SECONDS": "2",
        "CELERY_VISIBILITY_TIMEOUT": "5",
        "LOG_LEVEL": "INFO",
    }

    def send(job_id: int) -> None:
        with tasks.app.connection_for_write(redis_server.url) as connection:
            tasks.run_import.apply_async((job_id,), connection=connection)

    monkeypatch.setattr(tasks, "dispatch", send)
    return env


@pytest.fixture
def workers(worker_env):
    started: list[Worker] = []

    def start() -> Worker:
        worker = Worker(worker_env)
        worker.start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.close()


def wait_for(predicate, *, timeout: float, worker: Worker, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}; worker log:\n{worker.output()}")


def job_state(job_id: int) -> ImportJob:
    return ImportJob.objects.get(pk=job_id)


def test_a_real_worker_runs_an_import_end_to_end(workers):
    organiser = make_user("olga-worker", "organiser")
    event = EventFactory(capacity=5000)
    worker = workers()
    rows = [*people(2000), ("", "nobody@example.com", "", "")]
    job = import_job_create(
        event_id=event.pk, upload=upload_file(csv_bytes(rows)), actor=organiser, mode="valid_rows"
    )
    wait_for(lambda: job_state(job.pk).finished, timeout=120, worker=worker, what="the import")
    job = job_state(job.pk)
    assert (job.state, job.created, job.failed, job.total, job.attempts) == (
        "done",
        2000,
        1,
        2001,
        1,
    ), worker.output()
    assert Registrant.objects.filter(event=event).count() == 2000
    assert (
        StatusChange.objects.filter(event=event, source=Source.IMPORT, actor=organiser).count()
        == 2000
    )
    assert_invariants([event.pk])


def test_an_upload_taken_on_one_node_is_imported_by_a_worker_on_another(
    workers, worker_env, settings, tmp_path
):
    """This process takes the upload (node A); the worker has a disk of its
    own (another IMPORT_UPLOAD_DIR) and cannot reach node A's, which is
    emptied before it starts."""
    organiser = make_user("olga-nodes", "organiser")
    event = EventFactory(capacity=100)
    job = import_job_create(
        event_id=event.pk, upload=upload_file(csv_bytes(people(30))), actor=organiser
    )
    shutil.rmtree(settings.IMPORT_UPLOAD_DIR, ignore_errors=True)
    worker_env["IMPORT_UPLOAD_DIR"] = str(tmp_path / "worker-node")
    worker = workers()
    wait_for(lambda: job_state(job.pk).finished, timeout=120, worker=worker, what="the import")
    job = job_state(job.pk)
    assert (job.state, job.created) == ("done", 30), (job.message, worker.output())
    assert Registrant.objects.filter(event=event).count() == 30


def test_a_worker_killed_mid_import_leaves_nothing_partial_and_the_job_completes(workers):
    """F4: SIGKILL during the import transaction; a restarted worker finishes
    the job with the exact row count and no duplicates."""
    organiser = make_user("olga-kill", "organiser")
    rows = 20_000
    event = EventFactory(capacity=rows)
    first = workers()
    job = import_job_create(
        event_id=event.pk,
        upload=upload_file(csv_bytes(people(rows))),
        actor=organiser,
        mode="all_or_nothing",
    )
    wait_for(
        lambda: job_state(job.pk).stage == "importing",
        timeout=180,
        worker=first,
        what="the import stage",
    )
    time.sleep(0.3)  # well inside the bulk inserts
    first.kill()

    # The import transaction died with its connection: nothing is kept.
    assert Registrant.objects.filter(event=event).count() == 0
    assert StatusChange.objects.filter(event=event).count() == 0
    assert job_state(job.pk).state == "running"

    time.sleep(2.5)  # past IMPORT_STALE_SECONDS since the last heartbeat
    second = workers()
    wait_for(
        lambda: job_state(job.pk).finished, timeout=240, worker=second, what="the restarted import"
    )
    job = job_state(job.pk)
    assert (job.state, job.created, job.failed) == ("done", rows, 0), second.output()
    assert job.attempts == 2
    registrants = Registrant.objects.filter(event=event)
    assert registrants.count() == rows
    assert registrants.values("email").distinct().count() == rows
    assert StatusChange.objects.filter(event=event).count() == rows
    assert_invariants([event.pk])
    # The killed delivery's message comes back after the visibility timeout
    # and finds the job done: still exactly `rows`.
    time.sleep(6)
    assert Registrant.objects.filter(event=event).count() == rows
    assert job_state(job.pk).attempts == 2


@pytest.mark.parametrize(
    ("name", "content", "phrase"),
    [
        (
            "people.csv",
            b"name," + b"x" * 200_000 + b"\nAda,ada@example.com\n",
            "row 1: a field is longer than 10,000 characters",
        ),
        ("people.xlsx", hostile.xlsx(hostile.MALFORMED), "not a valid XLSX workbook"),
        ("people.xlsx", hostile.xlsx(hostile.DTD_ONLY), "declares a DTD"),
    ],
    ids=["csv-long-header-field", "xlsx-malformed", "xlsx-dtd"],
)
def test_a_real_worker_fails_an_unreadable_file_at_once(workers, name, content, phrase):
    """Not left running for three retries: failed on the first attempt, saying why."""
    organiser = make_user(f"olga-{name}", "organiser")
    event = EventFactory()
    worker = workers()
    job = import_job_create(event_id=event.pk, upload=upload_file(content, name), actor=organiser)
    wait_for(lambda: job_state(job.pk).finished, timeout=120, worker=worker, what="the failure")
    job = job_state(job.pk)
    assert (job.state, job.attempts) == ("failed", 1), worker.output()
    assert phrase in job.message
    assert not Registrant.objects.filter(event=event).exists()
