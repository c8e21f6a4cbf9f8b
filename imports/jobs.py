"""An import job's states: accepting an upload, claiming, requeueing,
progress, and how a run ends (done or failed, with its report).

Each function here changes the ImportJob row (and its ImportRowError
report) and nothing else; imports.runner decides which one applies.
See docs/decisions/0006.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from registrants.errors import ApplicationError
from registrants.models import Event
from registrants.services import ImportBatchResult

from . import dispatching, upload_store
from .models import ImportJob, ImportRowError
from .parsing import ImportFileError

MAX_ATTEMPTS = 3
PROGRESS_EVERY = 2000
ERROR_MESSAGE_MAX = ImportRowError._meta.get_field("message").max_length or 500

State, Mode, Stage = ImportJob.State, ImportJob.Mode, ImportJob.Stage


def max_upload_bytes() -> int:
    """The largest upload accepted (IMPORT_MAX_UPLOAD_BYTES, 50 MB by default)."""
    return int(getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", 50 * 1024 * 1024))


def stale_after() -> datetime.timedelta:
    """How long a running job may go without a heartbeat before it is taken over."""
    return datetime.timedelta(seconds=int(getattr(settings, "IMPORT_STALE_SECONDS", 300)))


# --- Accepting an upload -------------------------------------------------------------


def import_job_create(
    *,
    event_id: int,
    upload: Any,
    actor: Any,
    mode: str = Mode.ALL_OR_NOTHING,
    force: bool = False,
) -> ImportJob:
    """Store an uploaded CSV/XLSX file and queue its import into the event.

    `upload` is a Django UploadedFile (anything with .name, .size, .chunks()).
    Raises not_found (no such event), validation_error (empty or too large
    file), duplicate_import (409: this event already has a queued, running
    or finished import of the same bytes; pass force=True to import it again)
    and service_unavailable (503: the broker is down; nothing was kept).
    """
    if upload.size == 0:
        raise ApplicationError(
            "validation_error", "The file is empty.", fields={"file": ["The file is empty."]}
        )
    if upload.size > max_upload_bytes():
        limit = max_upload_bytes() // (1024 * 1024)
        raise ApplicationError(
            "validation_error",
            f"The file is larger than {limit} MB; split it into several files.",
            fields={"file": [f"Larger than {limit} MB."]},
        )
    content, content_hash, size = upload_store.read_upload(upload)
    with transaction.atomic():
        # The event lock serialises two uploads of the same file.
        event = Event.objects.select_for_update().filter(pk=event_id).first()
        if event is None:
            raise ApplicationError("not_found", "No such event.")
        if not force:
            earlier = (
                ImportJob.objects.filter(event_id=event.pk, content_hash=content_hash)
                .exclude(state=State.FAILED)
                .order_by("-id")
                .first()
            )
            if earlier is not None:
                raise ApplicationError(
                    "duplicate_import",
                    f"This file was already imported into this event (import #{earlier.pk},"
                    f" {earlier.get_state_display().lower()}). Send force=true to import it"
                    " again.",
                    details={"import_id": earlier.pk, "state": earlier.state},
                )
        job = ImportJob.objects.create(
            event=event,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            mode=mode,
            filename=Path(str(upload.name)).name[:255] or "upload",
            size=size,
            content_hash=content_hash,
            forced=force,
        )
        # In the database, not on this node's disk: any node's worker reads it.
        upload_store.upload_store(job.pk, content)
        job_id = job.pk
        transaction.on_commit(lambda: dispatching.dispatch_new_job(job_id))
    return job


# --- Claiming -----------------------------------------------------------------------------


def _claimable(now: datetime.datetime) -> Q:
    stale = now - stale_after()
    return Q(state=State.QUEUED) | Q(
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True), state=State.RUNNING
    )


def import_job_claim(*, job_id: int) -> ImportJob | None:
    """Take the job for this worker, or None when it is finished or another
    live worker has it. A job interrupted MAX_ATTEMPTS times is failed."""
    now = timezone.now()
    claimed = ImportJob.objects.filter(
        _claimable(now), pk=job_id, attempts__lt=MAX_ATTEMPTS
    ).update(
        state=State.RUNNING,
        stage=Stage.CHECKING,
        attempts=F("attempts") + 1,
        started_at=now,
        heartbeat_at=now,
        processed=0,
        message="",
    )
    if not claimed:
        ImportJob.objects.filter(
            _claimable(now), pk=job_id, state=State.RUNNING, attempts__gte=MAX_ATTEMPTS
        ).update(
            state=State.FAILED,
            stage=Stage.FINISHED,
            finished_at=now,
            message=(
                f"The import was interrupted {MAX_ATTEMPTS} times and has been given up; "
                "nothing was imported. Upload the file again with force to retry."
            ),
        )
        return None
    # A previous, interrupted attempt may have left part of a report.
    ImportRowError.objects.filter(job_id=job_id).delete()
    return ImportJob.objects.select_related("event", "actor").get(pk=job_id)


def import_jobs_requeue_stale() -> list[int]:
    """Send the jobs whose worker stopped sending heartbeats (or that were
    never picked up) to the queue again. Run when a worker starts and when a
    page or the API looks at such a job; claiming keeps it safe to overdo."""
    now = timezone.now()
    stale = list(
        ImportJob.objects.filter(state=State.RUNNING)
        .filter(Q(heartbeat_at__lt=now - stale_after()) | Q(heartbeat_at__isnull=True))
        .values_list("pk", flat=True)
    ) + list(
        ImportJob.objects.filter(
            state=State.QUEUED, created_at__lt=now - stale_after()
        ).values_list("pk", flat=True)
    )
    return [job_id for job_id in stale if dispatching.redispatch(job_id)]


def import_job_requeue_if_stale(job: ImportJob) -> bool:
    """Requeue this one job if it is stuck (see import_jobs_requeue_stale)."""
    now = timezone.now()
    limit = now - stale_after()
    stuck = (
        job.state == State.RUNNING and (job.heartbeat_at is None or job.heartbeat_at < limit)
    ) or (job.state == State.QUEUED and job.created_at < limit)
    return stuck and dispatching.redispatch(job.pk)


# --- Progress and the report ----------------------------------------------------------------


def progress(job: ImportJob, **fields: Any) -> None:
    """Write the job's counters (or stage) and a heartbeat."""
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now(), **fields)


def row_errors(job: ImportJob, number: int, problems: list[tuple[str, str]]):
    """The report lines of one invalid row, unsaved (they are saved in batches)."""
    return (
        ImportRowError(job_id=job.pk, row=number, column=column, message=message)
        for column, message in problems
    )


def _store_capacity_errors(job: ImportJob, rows: list[int]) -> None:
    message = "Capacity exceeded: no seat was left for this row."
    for start in range(0, len(rows), PROGRESS_EVERY):
        ImportRowError.objects.bulk_create(
            ImportRowError(job_id=job.pk, row=row, column="", message=message)
            for row in rows[start : start + PROGRESS_EVERY]
        )


# --- How a run ends -------------------------------------------------------------------------


def _rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")


def finish_imported(
    job: ImportJob,
    result: ImportBatchResult,
    *,
    total: int,
    invalid: int,
) -> None:
    """Inside the import transaction: the capacity refusals, and done."""
    refused = result.over_capacity
    if refused:
        _store_capacity_errors(job, refused)
    if result.already_imported:
        message = (
            f"{result.created:,} registrants were imported by an earlier attempt "
            "of this job; nothing was added now."
        )
    else:
        message = f"{result.created:,} registrants imported."
    if invalid or refused:
        message += f" {_rows(invalid + len(refused))} not imported; see the report."
    _finish(
        job,
        State.DONE,
        message,
        total=total,
        created=result.created,
        failed=invalid + len(refused),
    )


def fail_invalid(job: ImportJob, *, total: int, invalid: int) -> None:
    """All or nothing, and some rows are invalid: nothing was imported."""
    finish_failed(
        job,
        f"{_rows(invalid)} of {total:,} {'has' if invalid == 1 else 'have'} errors, "
        "so nothing was imported "
        "(all or nothing). Fix them and upload again, or import the valid rows only.",
        total=total,
        failed=invalid,
    )


def fail_no_rows(job: ImportJob, *, total: int, invalid: int) -> None:
    """Not one row was valid."""
    finish_failed(job, "No row could be imported.", total=total, failed=invalid)


def fail_capacity(
    job: ImportJob,
    exc: ApplicationError,
    refused: list[int],
    *,
    valid: int,
    total: int,
    invalid: int,
) -> None:
    """All or nothing, more valid rows than free seats (after the rollback)."""
    _store_capacity_errors(job, refused)
    finish_failed(
        job,
        f"{exc.message} The file has {valid:,} valid rows (all or nothing).",
        total=total,
        failed=invalid + len(refused),
    )


def _finish(job: ImportJob, state: str, message: str, **counts: Any) -> None:
    now = timezone.now()
    fields = {
        "state": state,
        "stage": Stage.FINISHED,
        "finished_at": now,
        "heartbeat_at": now,
        "message": message[:1000],
        **counts,
    }
    if "total" in counts and counts["total"] is not None:
        fields["processed"] = counts["total"]
    ImportJob.objects.filter(pk=job.pk).update(**fields)


def finish_failed(
    job: ImportJob, message: str, *, file_error: ImportFileError | None = None, **counts: Any
) -> None:
    """The job failed with `message`; a file error replaces the report with its one line."""
    if file_error is not None:
        ImportRowError.objects.filter(job_id=job.pk).delete()
        ImportRowError.objects.create(
            job_id=job.pk, row=file_error.row, column="", message=message[:ERROR_MESSAGE_MAX]
        )
    counts.setdefault("created", 0)
    _finish(job, State.FAILED, message, **counts)


# --- Reading --------------------------------------------------------------------------------


def import_job_errors(*, job_id: int):
    """The job's problems in file order (whole-file problems first)."""
    return (
        ImportRowError.objects.filter(job_id=job_id)
        .order_by(F("row").asc(nulls_first=True), "id")
        .values_list("row", "column", "message")
    )
