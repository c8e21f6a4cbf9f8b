"""Bulk status changes too large for one request, run as background jobs.

The registrant list's "all N matching" action runs in the request up to
BULK_JOB_THRESHOLD rows; above that the confirmed ids are frozen in a
BulkJob and run where imports run (config/jobs.py). The job goes through
registrants_bulk_change_status a chunk at a time; each chunk and the job's
progress commit together, so a job taken over after its worker died goes on
from the first chunk not done, and running a finished job again does
nothing (docs/decisions/0140-large-bulk-actions-as-jobs.md).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from config import jobs

from . import services
from .errors import ApplicationError
from .lifecycle import Kind
from .models import BulkJob, Event, Source
from .permissions import may_access_event, role_kinds

logger = logging.getLogger(__name__)

State = BulkJob.State
# Ids per transaction and per progress step.
JOB_CHUNK = 500
# Rows the result panel lists (as the in-request path: refusals first).
LISTED = 50
MAX_ATTEMPTS = 3


class _TakenOver(Exception):
    """Another runner claimed the job while this one was on a chunk."""


def threshold() -> int:
    """Above this many rows a bulk action runs as a job (BULK_JOB_THRESHOLD)."""
    return int(getattr(settings, "BULK_JOB_THRESHOLD", 1000))


def stale_after() -> datetime.timedelta:
    return datetime.timedelta(seconds=int(getattr(settings, "BULK_JOB_STALE_SECONDS", 120)))


def bulk_job_create(
    *,
    event: Event,
    actor: Any,
    action: str,
    to_status: str,
    allowed_kinds: Iterable[Kind],
    ids: Sequence[int],
) -> BulkJob:
    """Freeze the confirmed ids in a queued job and start it. Raises
    service_unavailable (503) when the job queue cannot be reached (nothing
    is kept)."""
    job = BulkJob.objects.create(
        event=event,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        to_status=to_status,
        allowed_kinds=sorted(str(k) for k in allowed_kinds),
        ids=list(ids),
        total=len(ids),
    )
    from kombu.exceptions import OperationalError as BrokerError

    try:
        _dispatch(job.pk)
    except BrokerError as exc:
        logger.warning("bulk job %s withdrawn: the broker is unreachable (%s)", job.pk, exc)
        BulkJob.objects.filter(pk=job.pk, state=State.QUEUED).delete()
        raise ApplicationError(
            "service_unavailable",
            "The job queue is unreachable, so nothing was changed; try again in a minute.",
        ) from None
    job.refresh_from_db()
    return job


def _dispatch(job_id: int) -> None:
    from .tasks import dispatch  # tasks imports this module

    dispatch(job_id)


def _claimable(now: datetime.datetime) -> Q:
    stale = now - stale_after()
    return Q(state=State.QUEUED) | Q(
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True), state=State.RUNNING
    )


def bulk_job_claim(*, job_id: int) -> BulkJob | None:
    """Take the job for this runner, or None when it is finished or another
    live runner has it. A job interrupted MAX_ATTEMPTS times is failed."""
    now = timezone.now()
    claimed = BulkJob.objects.filter(_claimable(now), pk=job_id, attempts__lt=MAX_ATTEMPTS).update(
        state=State.RUNNING,
        attempts=F("attempts") + 1,
        started_at=now,
        heartbeat_at=now,
    )
    if not claimed:
        BulkJob.objects.filter(
            _claimable(now), pk=job_id, state=State.RUNNING, attempts__gte=MAX_ATTEMPTS
        ).update(
            state=State.FAILED,
            finished_at=now,
            message=f"Interrupted {MAX_ATTEMPTS} times; given up. The rows done so far stay done.",
        )
        return None
    return BulkJob.objects.select_related("actor").get(pk=job_id)


def bulk_job_run(*, job_id: int) -> None:
    """Run the job if this caller can claim it (a finished or taken job is
    left alone), chunk by chunk from the first one not done."""
    job = bulk_job_claim(job_id=job_id)
    if job is None:
        return
    actor = job.actor
    # The actor's access is read again: a role or assignment lost since the
    # confirmation stops the job, as it would refuse a new request.
    if actor is None or not actor.is_active or not may_access_event(actor, job.event_id):
        _finish(
            job, State.FAILED, "You no longer have access to this event; nothing more was changed."
        )
        return
    kinds = frozenset(Kind(k) for k in job.allowed_kinds) & role_kinds(actor)
    try:
        while job.processed < job.total:
            _run_chunk(job, kinds)
    except _TakenOver:
        logger.info("bulk job %s was taken over by another runner", job.pk)
        return
    except Exception as exc:
        # Recorded on the job; the runner logs the traceback.
        _finish(
            job, State.FAILED, f"The job stopped ({type(exc).__name__}); run it again to finish."
        )
        raise
    _finish(job, State.DONE, "")


def _run_chunk(job: BulkJob, kinds: frozenset[Kind]) -> None:
    start = job.processed
    chunk = job.ids[start : start + JOB_CHUNK]
    with transaction.atomic():
        results = services.registrants_bulk_change_status(
            registrant_ids=chunk,
            to_status=job.to_status,
            actor=job.actor,
            source=Source.DASHBOARD,
            allowed_kinds=kinds,
        )
        changed = sum(1 for r in results if r.changed)
        refused = sum(1 for r in results if not r.ok)
        rows = [
            {
                "pos": start + offset,
                "id": r.registrant_id,
                "ok": r.ok,
                "changed": r.changed,
                "status": r.status,
                "code": r.error_code,
                "message": r.message[:200],
            }
            for offset, r in enumerate(results)
        ]
        listed = [*job.listed, *rows]
        job.listed = [r for r in listed if not r["ok"]][:LISTED] + [r for r in listed if r["ok"]][
            :LISTED
        ]
        # Fenced by `attempts`: a runner that lost the job to a takeover
        # must not count its chunk twice (its writes roll back with it).
        moved = BulkJob.objects.filter(
            pk=job.pk, state=State.RUNNING, attempts=job.attempts, processed=start
        ).update(
            processed=start + len(chunk),
            changed=F("changed") + changed,
            refused=F("refused") + refused,
            unchanged=F("unchanged") + (len(results) - changed - refused),
            listed=job.listed,
            heartbeat_at=timezone.now(),
        )
        if not moved:
            raise _TakenOver
    job.processed = start + len(chunk)


def _finish(job: BulkJob, state: str, message: str) -> None:
    BulkJob.objects.filter(pk=job.pk, state=State.RUNNING, attempts=job.attempts).update(
        state=state, message=message, finished_at=timezone.now()
    )


def bulk_jobs_requeue_stale() -> list[int]:
    """Send again the jobs whose runner stopped sending heartbeats (or that
    were never picked up): when a worker starts, and from the progress page.
    Claiming keeps this safe to overdo."""
    limit = timezone.now() - stale_after()
    stale = BulkJob.objects.filter(
        Q(state=State.RUNNING, heartbeat_at__lt=limit)
        | Q(state=State.RUNNING, heartbeat_at__isnull=True)
        | Q(state=State.QUEUED, created_at__lt=limit)
    ).values_list("pk", flat=True)
    return [job_id for job_id in stale if _redispatch(job_id)]


def bulk_job_requeue_if_stale(job: BulkJob) -> bool:
    """Requeue this one job if it is stuck (see bulk_jobs_requeue_stale)."""
    limit = timezone.now() - stale_after()
    stuck = (
        job.state == State.RUNNING and (job.heartbeat_at is None or job.heartbeat_at < limit)
    ) or (job.state == State.QUEUED and job.created_at < limit)
    return stuck and _redispatch(job.pk)


def _redispatch(job_id: int) -> bool:
    return jobs.redispatch(_dispatch, job_id, "bulk")
