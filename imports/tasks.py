"""The import task, how it is sent, and the worker-start recovery hook.

The task is idempotent (import_job_run claims the job with a conditional
UPDATE and recognises an import that already committed), so it is declared
acks_late: a worker that dies mid-import leaves the message to be delivered
again instead of losing it (RELIABILITY F4, F5).
"""

from __future__ import annotations

import logging

from celery.signals import worker_ready

from config import jobs
from config.celery_app import app

from . import services

logger = logging.getLogger(__name__)


@app.task(name="imports.run_import", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_import(job_id: int) -> None:
    """Run one import job (a no-op for a job that is finished or taken).

    Celery's Django fixup closes stale database connections around each task
    in a worker; nothing to do here.
    """
    services.import_job_run(job_id=job_id)


@app.task(name="imports.requeue_stale", ignore_result=True)
def requeue_stale() -> list[int]:
    """Requeue jobs whose worker died (for `celery beat`, optional)."""
    return services.import_jobs_requeue_stale()


def runner() -> str:
    """ "celery" with a broker (REDIS_URL), else "thread"; tests may say "inline"."""
    return jobs.runner()


def dispatch(job_id: int) -> None:
    """Start the job on a Celery worker, or in this process (config/jobs.py):
    the upload answers 202 at once and the page polls the progress."""
    jobs.start(run_import, job_id, run=_run, name="import")


def _run(job_id: int) -> None:
    services.import_job_run(job_id=job_id)


@worker_ready.connect
def _requeue_on_worker_start(sender=None, **kwargs) -> None:
    """A worker that starts picks up the jobs a dead worker left running."""
    jobs.requeue_stale(services.import_jobs_requeue_stale, "import")
