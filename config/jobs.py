"""Where background jobs run: on a Celery worker when a broker is configured,
else in a daemon thread of this process (the embedded default).

Imports and large bulk actions both start their jobs here, so the choice
(and the IMPORT_RUNNER test override) is made in one place. Each job's state
lives in the database and its task claims it with a conditional UPDATE, so
running one twice, or again after a dead worker, is safe.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)


def runner() -> str:
    """ "celery" with a broker (REDIS_URL), else "thread"; tests may say "inline"."""
    configured = getattr(settings, "IMPORT_RUNNER", "")
    if configured:
        return configured
    return "celery" if getattr(settings, "CELERY_BROKER_URL", "").startswith("redis") else "thread"


def start(task: Any, job_id: int, *, run: Callable[[int], Any], name: str) -> None:
    """Start job `job_id`: `task.delay` on a worker, or `run(job_id)` here.

    Eager Celery would run the whole job inside the request and answer only
    when it is done, so without a worker the job runs in a daemon thread
    instead: the request answers at once and the page polls the progress.
    A process that exits mid-job loses the thread, not the data; the job is
    requeued when it is next looked at. May raise the broker's errors.
    """
    how = runner()
    if how == "celery":
        task.delay(job_id)
    elif how == "inline":
        task.apply(args=(job_id,), throw=True)
    else:
        # The thread's log lines keep the request's id.
        context = contextvars.copy_context()
        threading.Thread(
            target=context.run,
            args=(_run_in_thread, run, job_id, name),
            name=f"{name}-{job_id}",
            daemon=True,
        ).start()


def _run_in_thread(run: Callable[[int], Any], job_id: int, name: str) -> None:
    try:
        run(job_id)
    except Exception:
        logger.exception("%s job %s failed", name, job_id)
    finally:
        connections.close_all()  # this thread's connections only


def redispatch(send: Callable[[int], Any], job_id: int, name: str) -> bool:
    """Send an interrupted or waiting job again with `send`; False (logged)
    when the broker is unreachable: requeueing is a retry anyway, made again
    at the next look (a page, a worker starting, beat)."""
    # kombu wraps the transport's connection errors (refused, reset, timed
    # out) in OperationalError once its publish retries are spent.
    from kombu.exceptions import OperationalError as BrokerError

    try:
        send(job_id)
    except BrokerError as exc:
        logger.warning("%s job %s not requeued: the broker is unreachable (%s)", name, job_id, exc)
        return False
    return True


def requeue_stale(requeue: Callable[[], list[int]], name: str) -> None:
    """For a worker_ready hook: requeue the `name` jobs a dead worker left
    running (`requeue` returns their ids). A failure is logged, never
    raised: the worker starts anyway, and the jobs are requeued when next
    looked at."""
    try:
        requeued = requeue()
    except Exception:
        logger.exception("could not look for interrupted %s jobs", name)
        return
    if requeued:
        logger.info("requeued interrupted %s jobs: %s", name, requeued)
    connections.close_all()
