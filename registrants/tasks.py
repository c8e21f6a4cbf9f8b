"""The domain's Celery tasks: the bulk job (how it is sent, and the
worker-start recovery hook), the waitlist sweep and the retention erasure (run by beat,
CELERY_BEAT_SCHEDULE in config/settings/base.py).

The bulk task, as the import task, is idempotent (bulk_job_run claims the
job with a conditional UPDATE and goes on from the first chunk not done),
so acks_late.
"""

from __future__ import annotations

import logging

from celery.signals import worker_ready

from config import jobs
from config.celery_app import app

from . import bulk_jobs, services
from .retention import erase_expired

logger = logging.getLogger(__name__)


@app.task(
    name="registrants.run_bulk_job", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def run_bulk_job(job_id: int) -> None:
    """Run one bulk job (a no-op for a job that is finished or taken)."""
    bulk_jobs.bulk_job_run(job_id=job_id)


@app.task(name="registrants.requeue_stale_bulk_jobs", ignore_result=True)
def requeue_stale() -> list[int]:
    """Requeue bulk jobs whose worker died (for `celery beat`, optional)."""
    return bulk_jobs.bulk_jobs_requeue_stale()


@app.task(name="registrants.erase_expired")
def erase_expired_task() -> int:
    """Erase the registrants of expired events; returns how many."""
    return sum(item.erased for item in erase_expired())


@app.task(name="registrants.process_waitlists", ignore_result=True)
def process_waitlists_task() -> int:
    """Expire lapsed waitlist offers and offer the freed seats; returns how
    many offers were made."""
    return services.waitlist_process_due()


def _run(job_id: int) -> None:
    bulk_jobs.bulk_job_run(job_id=job_id)


def dispatch(job_id: int) -> None:
    """Start the job on a Celery worker, or in this process (config/jobs.py)."""
    jobs.start(run_bulk_job, job_id, run=_run, name="bulk")


@worker_ready.connect
def _requeue_on_worker_start(sender=None, **kwargs) -> None:
    """A worker that starts picks up the bulk jobs a dead worker left running."""
    jobs.requeue_stale(bulk_jobs.bulk_jobs_requeue_stale, "bulk")
