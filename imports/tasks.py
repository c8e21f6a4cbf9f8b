"""The import task, how it is sent, and the worker-start recovery hook.

The task is idempotent (import_job_run claims the job with a conditional
UPDATE and recognises an import that already committed), so it is declared
acks_late: a worker that dies mid-import leaves the message to be delivered
again instead of losing it (RELIABILITY F4, F5).
"""

from __future__ import annotations

import contextvars
import logging
import threading

from celery.signals import worker_ready
from django.conf import settings
from django.db import connections

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
    configured = getattr(settings, "IMPORT_RUNNER", "")
    if configured:
        return configured
    return "celery" if getattr(settings, "CELERY_BROKER_URL", "").startswith("redis") else "thread"


def dispatch(job_id: int) -> None:
    """Start the job: on a Celery worker, or in this process.

    In the embedded default there is no worker. Eager Celery would run the
    whole import inside the upload request and answer only when it is done,
    so the job runs in a daemon thread instead: the upload answers 202 at
    once and the page polls the progress. A process that exits mid-import
    loses the thread, not the data (one transaction); the job is requeued
    when it is next looked at.
    """
    how = runner()
    if how == "celery":
        run_import.delay(job_id)
    elif how == "inline":
        run_import.apply(args=(job_id,), throw=True)
    else:
        # The thread's log lines keep the upload's request id.
        context = contextvars.copy_context()
        threading.Thread(
            target=context.run, args=(_run_in_thread, job_id), name=f"import-{job_id}", daemon=True
        ).start()


def _run_in_thread(job_id: int) -> None:
    try:
        services.import_job_run(job_id=job_id)
    except Exception:
        logger.exception("import job %s failed", job_id)
    finally:
        connections.close_all()  # this thread's connections only


@worker_ready.connect
def _requeue_on_worker_start(sender=None, **kwargs) -> None:
    """A worker that starts picks up the jobs a dead worker left running."""
    try:
        requeued = services.import_jobs_requeue_stale()
    except Exception:
        logger.exception("could not look for interrupted imports")
        return
    if requeued:
        logger.info("requeued interrupted imports: %s", requeued)
    connections.close_all()
