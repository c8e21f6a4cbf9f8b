"""Import jobs: accepting an upload, running it, recovering interrupted ones.

`import_job_create` stores the upload, refuses a file already imported
unless forced, and queues the job after commit (imports.dispatching);
`import_job_run` claims it with one conditional UPDATE and imports in one
transaction (registrants.services.registrants_import_batch). On PostgreSQL
a producer thread (`_Stream`) checks the file while the import COPYs
(`_run_streamed`); on SQLite, or inside a caller's transaction, two passes
(`_check`, `_import`). See docs/decisions/0006, 0050 and 0051.
"""

from __future__ import annotations

import csv
import datetime
import logging
import queue
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from registrants import services as registrant_services
from registrants.errors import ApplicationError
from registrants.models import Event
from registrants.services import ImportBatchResult, ImportedRegistrant

from . import dispatching, limits, staging, upload_store
from .models import ImportJob, ImportRowError
from .parsing import ImportFileError, csv_reader, open_table
from .validation import validate_row

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
PROGRESS_EVERY = 2000
# Valid rows per chunk handed to the import (PostgreSQL): one chunk, one
# nextval query and two COPY statements. Between statements the server
# waits for Python; with 10,000 rows it was busy 83-86% of the streaming
# against 78-81% with 2,000 (docs/benchmarks.md), for about 10 MB more.
CHUNK_ROWS = 10_000
FIRST_CHUNK_ROWS = 2000  # the server starts sooner
QUEUED_CHUNKS = 3  # chunks the producer may be ahead of the import
ERROR_MESSAGE_MAX = ImportRowError._meta.get_field("message").max_length or 500

State, Mode, Stage = ImportJob.State, ImportJob.Mode, ImportJob.Stage


def max_upload_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", 50 * 1024 * 1024))


def stale_after() -> datetime.timedelta:
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


# --- Running --------------------------------------------------------------------------------


def import_job_run(*, job_id: int) -> None:
    """Run the job if this caller can claim it (idempotent: a second delivery
    of a finished or running job does nothing)."""
    job = import_job_claim(job_id=job_id)
    if job is None:
        return
    try:
        with upload_store.local_copy(job.pk) as path:
            _run(job, path)
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
            upload_store.upload_discard(job.pk)


def _progress(job: ImportJob, **fields: Any) -> None:
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now(), **fields)


def _estimate_total(table: Any) -> int | None:
    """Data rows, known upfront for CSV (a fast counting pass) and estimated
    from the sheet's dimension for XLSX (exact once checked through)."""
    if table.kind == "csv":
        with open(table.path, encoding=table.encoding, errors=table.decode_errors, newline="") as f:
            try:
                # "".join(...).strip(): blank rows, as Table.rows() skips
                # them, at half the cost of any(c.strip() for c in record).
                return max(
                    0,
                    sum(1 for record in csv_reader(f, table.delimiter) if "".join(record).strip())
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

    def row_numbers(self, skip: int = 0) -> list[int]:
        return [r.row for r in self.rows(skip=skip)]

    def flush(self) -> None:
        self.file.flush()

    def import_into(self, job: ImportJob, *, all_or_nothing: bool) -> ImportBatchResult:
        return registrant_services.registrants_import_batch(
            event_id=job.event_id,
            rows=self.rows(),
            expected=self.count,
            actor=job.actor,
            marker=job.marker,
            all_or_nothing=all_or_nothing,
        )

    def close(self) -> None:
        self.file.close()


def _open(path: Path) -> tuple[Any, int | None]:
    """The job's file (this run's copy at `path`), opened, and its number of
    rows if known (a file error when it has too many)."""
    table = open_table(path)
    total = _estimate_total(table)
    if total is not None and total > limits.max_rows():
        raise _too_many_rows()
    return table, total


def _too_many_rows() -> ImportFileError:
    return ImportFileError.from_limit(limits.too_many_rows())


def _row_errors(job: ImportJob, number: int, problems: list[tuple[str, str]]):
    return (
        ImportRowError(job_id=job.pk, row=number, column=column, message=message)
        for column, message in problems
    )


def _check(job: ImportJob, path: Path, spill: _Spill | staging.Stage) -> tuple[int, int]:
    """Stream the file, validate every row, store the problems, spill the
    valid rows. Returns (rows, invalid rows)."""
    table, total = _open(path)
    _progress(job, total=total)
    processed = invalid = 0
    most = limits.max_rows()
    pending: list[ImportRowError] = []
    for raw in table.rows():
        processed += 1
        if processed > most:
            raise _too_many_rows()
        row, problems = validate_row(raw)
        if row is None:
            invalid += 1
            pending.extend(_row_errors(job, raw.number, problems))
        else:
            spill.add(row)
        if processed % PROGRESS_EVERY == 0:
            ImportRowError.objects.bulk_create(pending)
            pending = []
            _progress(job, processed=processed, failed=invalid)
    ImportRowError.objects.bulk_create(pending)
    _progress(job, processed=processed, total=processed, failed=invalid)
    return processed, invalid


def _run(job: ImportJob, path: Path) -> None:
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        _run_streamed(job, path)
        return
    # SQLite: staged, so that the import holds the write lock only briefly.
    spill = staging.Stage(job) if connection.vendor == "sqlite" else _Spill()
    try:
        total, invalid = _check(job, path, spill)
        all_or_nothing = job.mode == Mode.ALL_OR_NOTHING
        if invalid and all_or_nothing:
            _fail_invalid(job, total=total, invalid=invalid)
            return
        if not spill.count:
            _fail_no_rows(job, total=total, invalid=invalid)
            return
        spill.flush()  # before the import's transaction, whose rollback would take it
        _progress(job, stage=Stage.IMPORTING)
        _import(job, spill, total=total, invalid=invalid, all_or_nothing=all_or_nothing)
    finally:
        spill.close()


def _import(
    job: ImportJob, spill: _Spill | staging.Stage, *, total: int, invalid: int, all_or_nothing: bool
) -> None:
    try:
        with transaction.atomic():
            result = spill.import_into(job, all_or_nothing=all_or_nothing)
            _finish_imported(job, result, total=total, invalid=invalid)
    except ApplicationError as exc:
        if exc.code != "event_full":
            raise
        free = exc.details.get("seats_free", 0)
        refused = spill.row_numbers(skip=free)
        _fail_capacity(job, exc, refused, valid=spill.count, total=total, invalid=invalid)


def _finish_imported(
    job: ImportJob,
    result: registrant_services.ImportBatchResult,
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


def _fail_invalid(job: ImportJob, *, total: int, invalid: int) -> None:
    _finish_failed(
        job,
        f"{_rows(invalid)} of {total:,} {'has' if invalid == 1 else 'have'} errors, "
        "so nothing was imported "
        "(all or nothing). Fix them and upload again, or import the valid rows only.",
        total=total,
        failed=invalid,
    )


def _fail_no_rows(job: ImportJob, *, total: int, invalid: int) -> None:
    _finish_failed(job, "No row could be imported.", total=total, failed=invalid)


def _fail_capacity(
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
    _finish_failed(
        job,
        f"{exc.message} The file has {valid:,} valid rows (all or nothing).",
        total=total,
        failed=invalid + len(refused),
    )


# --- Running in one pass (PostgreSQL) --------------------------------------------------------


class _Rollback(Exception):
    """Leaves the import transaction without keeping anything."""


_END, _REJECTED = object(), object()


class _Stream:
    """The check, in a thread of its own, feeding the import its valid rows.

    `chunks()` (in the import's thread) yields them as handed over:
    FIRST_CHUNK_ROWS, then CHUNK_ROWS, at most QUEUED_CHUNKS waiting. The
    producer writes problems and progress through its own connection, and
    once the queue is full waits until half has gone, so its bursts fall
    while the import waits for the server (the GIL). See docs/decisions/0006.
    """

    def __init__(self, job: ImportJob, table: Any, *, all_or_nothing: bool) -> None:
        self.job, self.table, self.all_or_nothing = job, table, all_or_nothing
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUED_CHUNKS)
        self.stop = threading.Event()
        self.processed = self.invalid = self.valid = 0
        self.error: BaseException | None = None
        self.ended = False
        self.rejected = False  # all or nothing: an invalid row ended chunks()
        self.thread = threading.Thread(
            target=self._produce, name=f"import-{job.pk}-check", daemon=True
        )

    def start(self) -> _Stream:
        self.thread.start()
        return self

    # The import's side.

    def chunks(self) -> Iterator[list[ImportedRegistrant]]:
        while not self.ended:
            item = self.queue.get()
            if item is _REJECTED:
                self.rejected = True
                return
            if item is _END:
                self.ended = True
                if self.error is not None:
                    raise self.error
                return
            yield item

    def finish(self) -> None:
        """Wait for the producer to reach the end of the file (the rows it
        still hands over are dropped); raise what stopped it, if anything."""
        while not self.ended:
            if self.queue.get() is _END:
                self.ended = True
        self.thread.join()
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        """Stop the producer (if still running) and wait for it."""
        self.stop.set()
        while self.thread.is_alive():
            try:
                self.queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self.thread.join()

    # The producer's side.

    def _produce(self) -> None:
        try:
            self._check()
        except BaseException as exc:  # handed to the import's thread
            self.error = exc
        finally:
            connections.close_all()  # this thread's connection only
            self.queue.put(_END)

    def _hand_over(self, chunk: list[ImportedRegistrant]) -> None:
        """Queue a chunk; when the queue is full, wait until the import has
        taken half of it (see the class docstring)."""
        waiting = self.queue
        with waiting.not_full:
            if len(waiting.queue) >= waiting.maxsize:
                while len(waiting.queue) > waiting.maxsize // 2 and not self.stop.is_set():
                    waiting.not_full.wait(0.1)
        waiting.put(chunk)

    def _check(self) -> None:
        job, all_or_nothing, stop = self.job, self.all_or_nothing, self.stop
        processed = invalid = valid = 0
        most = limits.max_rows()
        rejected = False
        chunk: list[ImportedRegistrant] = []
        pending: list[ImportRowError] = []
        size = min(FIRST_CHUNK_ROWS, CHUNK_ROWS)
        for raw in self.table.rows():
            processed += 1
            if processed > most:
                raise _too_many_rows()
            row, problems = validate_row(raw)
            if row is None:
                invalid += 1
                pending.extend(_row_errors(job, raw.number, problems))
                if all_or_nothing and not rejected:
                    rejected, chunk = True, []
                    self.queue.put(_REJECTED)
            else:
                valid += 1
                if not rejected:
                    chunk.append(row)
            if processed % PROGRESS_EVERY == 0:
                if stop.is_set():
                    return
                # Before the chunk goes: what the import has received has
                # been reported.
                ImportRowError.objects.bulk_create(pending)
                pending = []
                _progress(job, processed=processed, failed=invalid)
            if len(chunk) >= size:
                self._hand_over(chunk)
                chunk, size = [], CHUNK_ROWS
        if chunk:
            self._hand_over(chunk)
        ImportRowError.objects.bulk_create(pending)
        _progress(job, processed=processed, total=processed, failed=invalid)
        self.processed, self.invalid, self.valid = processed, invalid, valid


def _run_streamed(job: ImportJob, path: Path) -> None:
    table, total = _open(path)
    _progress(job, total=total, stage=Stage.IMPORTING)
    all_or_nothing = job.mode == Mode.ALL_OR_NOTHING
    stream = _Stream(job, table, all_or_nothing=all_or_nothing).start()
    try:
        _import_streamed(job, stream, all_or_nothing=all_or_nothing)
    finally:
        stream.close()


def _import_streamed(job: ImportJob, stream: _Stream, *, all_or_nothing: bool) -> None:
    try:
        with transaction.atomic():
            result = registrant_services.registrants_import_batch(
                event_id=job.event_id,
                chunks=stream.chunks(),
                expected=None,
                actor=job.actor,
                marker=job.marker,
                all_or_nothing=all_or_nothing,
            )
            if stream.rejected:
                raise _Rollback  # now: the rest of the file is checked without the lock
            stream.finish()
            if (stream.invalid and all_or_nothing) or not stream.valid:
                raise _Rollback
            _finish_imported(job, result, total=stream.processed, invalid=stream.invalid)
            return
    except _Rollback:
        pass
    except ApplicationError as exc:
        if exc.code != "event_full":
            raise
        stream.finish()
        if not stream.invalid:
            _fail_capacity(
                job,
                exc,
                exc.details["over_capacity"],
                valid=stream.valid,
                total=stream.processed,
                invalid=0,
            )
            return
    # Nothing was kept; wait for the producer to finish the report.
    stream.finish()
    if stream.invalid and all_or_nothing:
        _fail_invalid(job, total=stream.processed, invalid=stream.invalid)
    else:
        _fail_no_rows(job, total=stream.processed, invalid=stream.invalid)


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
