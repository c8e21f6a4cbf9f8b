"""Running an import job: claim it, read the file, write the registrants.

`import_job_run` claims the job and imports in one transaction
(registrants.services.registrants_import_batch). On PostgreSQL a producer
thread (imports.streaming.Stream) checks the file while the import COPYs
(`_run_streamed`); on SQLite, or inside a caller's transaction, two passes:
the check spills the valid rows, then `_import` writes them. See
docs/decisions/0006, 0050 and 0051.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.db import connection, transaction

from registrants import services as registrant_services
from registrants.errors import ApplicationError
from registrants.services import ImportBatchResult, ImportedRegistrant

from . import staging, upload_store
from .answer_import import AnswerCheck
from .jobs import (
    fail_capacity,
    fail_invalid,
    fail_no_rows,
    finish_failed,
    finish_imported,
    import_job_claim,
    progress,
)
from .models import ImportJob
from .parsing import ImportFileError
from .streaming import RowCheck, Stream, open_upload

Mode, Stage = ImportJob.Mode, ImportJob.Stage


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
        finish_failed(job, exc.message, file_error=exc)
    except ApplicationError as exc:
        # not_found: the event went away while the job waited.
        finish_failed(job, exc.message)
    finally:
        # Keep the upload for the report's sake only while the job can still
        # be retried; a finished job does not need it.
        job.refresh_from_db(fields=["state"])
        if job.finished:
            upload_store.upload_discard(job.pk)


# --- Two passes (SQLite, or inside a caller's transaction) ---------------------------------


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


def _check(
    job: ImportJob, path: Path, spill: _Spill | staging.Stage
) -> tuple[int, int, AnswerCheck]:
    """Check every row, spilling the valid ones. Returns (rows, invalid rows,
    the valid rows' answers)."""
    table, total = open_upload(path, event_id=job.event_id)
    progress(job, total=total)
    check = RowCheck(job, table)
    for row in check.rows():
        if row is not None:
            spill.add(row)
    return check.processed, check.invalid, check.answers


def _run(job: ImportJob, path: Path) -> None:
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        _run_streamed(job, path)
        return
    # SQLite: staged, so that the import holds the write lock only briefly.
    spill = staging.Stage(job) if connection.vendor == "sqlite" else _Spill()
    try:
        total, invalid, answers = _check(job, path, spill)
        all_or_nothing = job.mode == Mode.ALL_OR_NOTHING
        if invalid and all_or_nothing:
            fail_invalid(job, total=total, invalid=invalid)
            return
        if not spill.count:
            fail_no_rows(job, total=total, invalid=invalid)
            return
        spill.flush()  # before the import's transaction, whose rollback would take it
        progress(job, stage=Stage.IMPORTING)
        _import(job, spill, answers, total=total, invalid=invalid, all_or_nothing=all_or_nothing)
    finally:
        spill.close()


def _import(
    job: ImportJob,
    spill: _Spill | staging.Stage,
    answers: AnswerCheck,
    *,
    total: int,
    invalid: int,
    all_or_nothing: bool,
) -> None:
    try:
        with transaction.atomic():
            result = spill.import_into(job, all_or_nothing=all_or_nothing)
            _write_answers(job, answers, result)
            finish_imported(job, result, total=total, invalid=invalid)
    except ApplicationError as exc:
        if exc.code != "event_full":
            raise
        free = exc.details.get("seats_free", 0)
        refused = spill.row_numbers(skip=free)
        fail_capacity(job, exc, refused, valid=spill.count, total=total, invalid=invalid)


def _write_answers(job: ImportJob, answers: AnswerCheck, result: ImportBatchResult) -> None:
    """The answers of the rows just imported, in the import's transaction
    (a redelivered job that finds its rows already there wrote them then)."""
    if not result.already_imported:
        answers.write(event_id=job.event_id, marker=job.marker, created=result.created)


# --- One pass (PostgreSQL) ---------------------------------------------------------------------


class _Rollback(Exception):
    """Leaves the import transaction without keeping anything."""


def _run_streamed(job: ImportJob, path: Path) -> None:
    table, total = open_upload(path, event_id=job.event_id)
    progress(job, total=total, stage=Stage.IMPORTING)
    all_or_nothing = job.mode == Mode.ALL_OR_NOTHING
    stream = Stream(job, table, all_or_nothing=all_or_nothing).start()
    try:
        _import_streamed(job, stream, all_or_nothing=all_or_nothing)
    finally:
        stream.close()


def _import_streamed(job: ImportJob, stream: Stream, *, all_or_nothing: bool) -> None:
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
            _write_answers(job, stream.answers, result)
            finish_imported(job, result, total=stream.processed, invalid=stream.invalid)
            return
    except _Rollback:
        pass
    except ApplicationError as exc:
        if exc.code != "event_full":
            raise
        stream.finish()
        if not stream.invalid:
            fail_capacity(
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
        fail_invalid(job, total=stream.processed, invalid=stream.invalid)
    else:
        fail_no_rows(job, total=stream.processed, invalid=stream.invalid)
