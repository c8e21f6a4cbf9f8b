"""Sending jobs to the runner when the broker may be down.

An upload becomes a job only if its message reaches the broker: when Redis
cannot take it, the upload is refused with 503 service_unavailable and
nothing is kept (no job row, no stored upload, so the duplicate check does
not count it). Keeping the job queued for later would need something that
notices the broker's return; the upload's answer is the one moment the
organiser is there to try again (docs/decisions/0050-import-upload-without-broker.md).

Requeueing an interrupted job (a page or the API looking at it, a worker
starting, beat) is a retry anyway: with the broker down it is logged and
left for the next look.
"""

from __future__ import annotations

import logging

from kombu.exceptions import OperationalError as BrokerError

from config import jobs
from registrants.errors import ApplicationError

from .models import ImportJob

logger = logging.getLogger(__name__)

# kombu wraps the transport's connection errors (refused, reset, timed out)
# in OperationalError once its publish retries are spent.
BROKER_ERRORS = (BrokerError,)


def _send(job_id: int) -> None:
    from .tasks import dispatch  # tasks imports services, which imports this

    dispatch(job_id)


def dispatch_new_job(job_id: int) -> None:
    """After the upload's commit: send the job, or withdraw it and raise
    service_unavailable (503) when the broker cannot be reached."""
    try:
        _send(job_id)
    except BROKER_ERRORS as exc:
        logger.warning("import job %s withdrawn: the broker is unreachable (%s)", job_id, exc)
        # Not claimed by anyone (the message never left), so nothing else
        # holds the row; a message that did leave finds no job and does nothing.
        # The stored upload goes with it (ImportUpload cascades).
        ImportJob.objects.filter(pk=job_id, state=ImportJob.State.QUEUED).delete()
        raise ApplicationError(
            "service_unavailable",
            "Imports cannot start right now: the job queue is unreachable. Nothing was kept;"
            " upload the file again in a minute.",
        ) from None


def redispatch(job_id: int) -> bool:
    """Send an interrupted or waiting job again; False if the broker is down."""
    return jobs.redispatch(_send, job_id, "import")
