"""Import jobs: accepting an upload, running it, recovering interrupted ones.

The life of a job (docs/decisions/0006-import-jobs.md):

1. `import_job_create` stores the upload, refuses a file this event already
   imported (same SHA-256) unless forced, and queues the job after commit.
2. A worker (or, in the embedded default, a background thread) calls
   `import_job_run`. It claims the job with one conditional UPDATE, so two
   deliveries of the same task cannot both run it, unless the first one's
   heartbeat is older than IMPORT_STALE_SECONDS (its worker died).
3. Checking: the file is streamed row by row; each row is validated, its
   problems stored, the valid rows written to a temporary spill file.
   Progress and a heartbeat are written every PROGRESS_EVERY rows, each in
   its own short autocommit statement, so pages see them at once.
4. Importing: one transaction locks the event, checks capacity for the
   whole batch, bulk-inserts the registrants and their creation history
   (registrants.services.registrants_import_batch) and marks the job done.
   A worker killed here leaves nothing: the transaction never committed.
   A redelivery of a job that did commit finds its history rows by the
   job's marker and writes nothing.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import logging
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from registrants import services as registrant_services
from registrants.errors import ApplicationError
from registrants.models import Event
from registrants.services import ImportedRegistrant

from .models import ImportJob, ImportRowError
from .parsing import ImportFileError, open_table
from .validation import validate_row

logger = logging.getLogger(__name__)

MAX_ROWS = 100_000
MAX_ATTEMPTS = 3
PROGRESS_EVERY = 2000
ERROR_MESSAGE_MAX = ImportRowError._meta.get_field("message").max_length or 500

State, Mode, Stage = ImportJob.State, ImportJob.Mode, ImportJob.Stage


def upload_dir() -> Path:
    path = Path(settings.IMPORT_UPLOAD_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def max_upload_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", 50 * 1024 * 1024))


def stale_after() -> datetime.timedelta:
    return datetime.timedelta(seconds=int(getattr(settings, "IMPORT_STALE_SECONDS", 300)))


# --- Accepting an upload -------------------------------------------------------------


def _store_upload(upload: Any) -> tuple[Path, str, int]:
    """Write the upload to the upload directory while hashing it."""
    suffix = ".xlsx" if str(upload.name).lower().endswith(".xlsx") else ".csv"
    path = upload_dir() / f"{uuid.uuid4().hex}{suffix}"
    digest, size = hashlib.sha256(), 0
    with open(path, "wb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return path, digest.hexdigest(), size


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
    file) and duplicate_import (409: this event already has a queued, running
    or finished import of the same bytes; pass force=True to import it again).
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
    path, content_hash, size = _store_upload(upload)
    try:
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
                file_path=str(path),
                size=size,
                content_hash=content_hash,
                forced=force,
            )
            job_id = job.pk
            transaction.on_commit(lambda: _dispatch(job_id))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return job


def _dispatch(job_id: int) -> None:
    from .tasks import dispatch

    dispatch(job_id)


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
    for job_id in stale:
        _dispatch(job_id)
    return stale


def import_job_requeue_if_stale(job: ImportJob) -> bool:
    """Requeue this one job if it is stuck (see import_jobs_requeue_stale)."""
    now = timezone.now()
    limit = now - stale_after()
    stuck = (
        job.state == State.RUNNING and (job.heartbeat_at is None or job.heartbeat_at < limit)
    ) or (job.state == State.QUEUED and job.created_at < limit)
    if stuck:
        _dispatch(job.pk)
    return stuck


# --- Running --------------------------------------------------------------------------------


def import_job_run(*, job_id: int) -> None:
    """Run the job if this caller can claim it (idempotent: a second delivery
    of a finished or running job does nothing)."""
    job = import_job_claim(job_id=job_id)
    if job is None:
        return
    try:
        _run(job)
    except ImportFileError as exc:
        _finish_failed(job, exc.message, file_error=exc)
    except ApplicationError as exc:
        # not_found: the event went away while the job waited.
        _finish_failed(job, exc.message)
    finally:
        # Keep the upload for the report's sake only while the job can still
        # be retried; a finished job does not need it.
        job.refresh_from_db(fields=["state"])
        if job.finished:
            Path(job.file_path).unlink(missing_ok=True)


def _progress(job: ImportJob, **fields: Any) -> None:
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now(), **fields)


def _estimate_total(table: Any) -> int | None:
    """Data rows, known upfront for CSV (a fast counting pass) and estimated
    from the sheet's dimension for XLSX (exact once checked through)."""
    if table.kind == "csv":
        with open(table.path, encoding=table.encoding, errors=table.decode_errors, newline="") as f:
            try:
                return max(
                    0,
                    sum(
                        1
                        for record in csv.reader(f, delimiter=table.delimiter)
                        if any(c.strip() for c in record)
                    )
                    - 1,
                )
            except csv.Error:
                return None
    return None


class _Spill:
    """The valid rows of the file, parked on disk between checking and importing."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115
        self.writer = csv.writer(self.file)
        self.count = 0

    def add(self, row: ImportedRegistrant) -> None:
        self.writer.writerow([row.row, row.name, row.email, row.guest_type, row.company])
        self.count += 1

    def rows(self, skip: int = 0) -> Iterator[ImportedRegistrant]:
        self.file.seek(0)
        for index, (row, name, email, guest_type, company) in enumerate(csv.reader(self.file)):
            if index >= skip:
                yield ImportedRegistrant(int(row), name, email, guest_type, company)

    def close(self) -> None:
        self.file.close()


def _check(job: ImportJob, spill: _Spill) -> tuple[int, int]:
    """Stream the file, validate every row, store the problems, spill the
    valid rows. Returns (rows, invalid rows)."""
    table = open_table(job.file_path)
    total = _estimate_total(table)
    if total is not None and total > MAX_ROWS:
        raise ImportFileError(
            f"The file has {total:,} rows; at most {MAX_ROWS:,} can be imported at once. "
            "Split it into several files."
        )
    _progress(job, total=total)
    processed = invalid = 0
    pending: list[ImportRowError] = []
    for raw in table.rows():
        processed += 1
        if processed > MAX_ROWS:
            raise ImportFileError(
                f"The file has more than {MAX_ROWS:,} rows; split it into several files."
            )
        row, problems = validate_row(raw)
        if row is None:
            invalid += 1
            pending.extend(
                ImportRowError(job_id=job.pk, row=raw.number, column=column, message=message)
                for column, message in problems
            )
        else:
            spill.add(row)
        if processed % PROGRESS_EVERY == 0:
            ImportRowError.objects.bulk_create(pending)
            pending = []
            _progress(job, processed=processed, failed=invalid)
    ImportRowError.objects.bulk_create(pending)
    _progress(job, processed=processed, total=processed, failed=invalid)
    return processed, invalid


def _run(job: ImportJob) -> None:
    spill = _Spill()
    try:
        total, invalid = _check(job, spill)
        all_or_nothing = job.mode == Mode.ALL_OR_NOTHING
        if invalid and all_or_nothing:
            _finish_failed(
                job,
                f"{_rows(invalid)} of {total:,} {'has' if invalid == 1 else 'have'} errors, "
                "so nothing was imported "
                "(all or nothing). Fix them and upload again, or import the valid rows only.",
                total=total,
                failed=invalid,
            )
            return
        if not spill.count:
            _finish_failed(job, "No row could be imported.", total=total, failed=invalid)
            return
        _progress(job, stage=Stage.IMPORTING)
        _import(job, spill, total=total, invalid=invalid, all_or_nothing=all_or_nothing)
    finally:
        spill.close()


def _import(
    job: ImportJob, spill: _Spill, *, total: int, invalid: int, all_or_nothing: bool
) -> None:
    try:
        with transaction.atomic():
            result = registrant_services.registrants_import_batch(
                event_id=job.event_id,
                rows=spill.rows(),
                expected=spill.count,
                actor=job.actor,
                marker=job.marker,
                all_or_nothing=all_or_nothing,
            )
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
    except ApplicationError as exc:
        if exc.code != "event_full":
            raise
        free = exc.details.get("seats_free", 0)
        _store_capacity_errors(job, [r.row for r in spill.rows(skip=free)])
        _finish_failed(
            job,
            f"{exc.message} The file has {spill.count:,} valid rows (all or nothing).",
            total=total,
            failed=invalid + spill.count - free,
        )


def _rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")


def _store_capacity_errors(job: ImportJob, rows: list[int]) -> None:
    message = "Capacity exceeded: no seat was left for this row."
    for start in range(0, len(rows), PROGRESS_EVERY):
        ImportRowError.objects.bulk_create(
            ImportRowError(job_id=job.pk, row=row, column="", message=message)
            for row in rows[start : start + PROGRESS_EVERY]
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


def _finish_failed(
    job: ImportJob, message: str, *, file_error: ImportFileError | None = None, **counts: Any
) -> None:
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
