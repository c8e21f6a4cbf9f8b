"""Reading an upload: opening it, the one row-check loop, and the producer
thread that hands the valid rows to the import in chunks.

`RowCheck` is the only loop that reads a job's rows: it checks each one
(imports.validation), stores the problems and the progress every
PROGRESS_EVERY rows, and yields the row (None when invalid). The two-pass
run (imports.runner) drains it into a spill; `Stream` drains it in a thread
of its own and hands chunks over. See docs/decisions/0006.
"""

from __future__ import annotations

import csv
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db import connections

from registrants.services import ImportedRegistrant

from . import limits
from .answer_import import AnswerCheck, claim_question_columns
from .jobs import PROGRESS_EVERY, progress, row_errors
from .models import ImportJob, ImportRowError
from .parsing import ImportFileError, csv_reader, open_table
from .validation import validate_row

# Valid rows per chunk handed to the import (PostgreSQL): one chunk, one
# nextval query and two COPY statements. Between statements the server
# waits for Python; with 10,000 rows it was busy 83-86% of the streaming
# against 78-81% with 2,000 (docs/benchmarks.md), for about 10 MB more.
CHUNK_ROWS = 10_000
FIRST_CHUNK_ROWS = 2000  # the server starts sooner
QUEUED_CHUNKS = 3  # chunks the producer may be ahead of the import


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


def too_many_rows() -> ImportFileError:
    """The file error for a file over IMPORT_MAX_ROWS."""
    return ImportFileError.from_limit(limits.too_many_rows())


def open_upload(path: Path, *, event_id: int | None = None) -> tuple[Any, int | None]:
    """The job's file (this run's copy at `path`), opened, and its number of
    rows if known (a file error when it has too many). With `event_id`, the
    columns named like the event's questions are read too."""
    table = open_table(path)
    if event_id is not None:
        claim_question_columns(table, event_id)
    total = _estimate_total(table)
    if total is not None and total > limits.max_rows():
        raise too_many_rows()
    return table, total


class RowCheck:
    """One pass over the file's rows, checking each (the only such loop).

    `rows()` yields each row ready to insert, or None for an invalid one,
    whose problems go to the report. Every PROGRESS_EVERY rows the report
    and the counters are written before the row is yielded, so whatever the
    consumer hands on has been reported. With `stop` set at such a point the
    pass ends early (`stopped`), writing nothing more. The counts are set
    when the pass ends.
    """

    def __init__(
        self,
        job: ImportJob,
        table: Any,
        *,
        stop: threading.Event | None = None,
        answers: AnswerCheck | None = None,
    ):
        self.job, self.table, self.stop = job, table, stop
        self.processed = self.invalid = self.valid = 0
        self.stopped = False
        self.answers = answers if answers is not None else AnswerCheck(table)

    def rows(self) -> Iterator[ImportedRegistrant | None]:
        job, stop, answers = self.job, self.stop, self.answers
        processed = invalid = 0
        most = limits.max_rows()
        pending: list[ImportRowError] = []
        for raw in self.table.rows():
            processed += 1
            if processed > most:
                raise too_many_rows()
            row, problems = validate_row(raw)
            if answers.questions:
                given, wrong = answers.check(raw)
                if wrong:
                    row, problems = None, problems + wrong
                elif row is not None:
                    answers.keep(given)
            if row is None:
                invalid += 1
                pending.extend(row_errors(job, raw.number, problems))
            if processed % PROGRESS_EVERY == 0:
                if stop is not None and stop.is_set():
                    self.stopped = True
                    return
                ImportRowError.objects.bulk_create(pending)
                pending = []
                progress(job, processed=processed, failed=invalid)
            yield row
        ImportRowError.objects.bulk_create(pending)
        progress(job, processed=processed, total=processed, failed=invalid)
        self.processed, self.invalid, self.valid = processed, invalid, processed - invalid


_END, _REJECTED = object(), object()


class Stream:
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
        # The valid rows' answers, kept by the check, written by the import.
        self.answers = AnswerCheck(table)
        self.thread = threading.Thread(
            target=self._produce, name=f"import-{job.pk}-check", daemon=True
        )

    def start(self) -> Stream:
        """Start the producer thread."""
        self.thread.start()
        return self

    # The import's side.

    def chunks(self) -> Iterator[list[ImportedRegistrant]]:
        """The valid rows, chunk by chunk, until the end of the file (or,
        all or nothing, the first invalid row: `rejected`)."""
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
        check = RowCheck(self.job, self.table, stop=self.stop, answers=self.answers)
        all_or_nothing = self.all_or_nothing
        rejected = False
        chunk: list[ImportedRegistrant] = []
        size = min(FIRST_CHUNK_ROWS, CHUNK_ROWS)
        for row in check.rows():
            if row is None:
                if all_or_nothing and not rejected:
                    rejected, chunk = True, []
                    self.queue.put(_REJECTED)
                continue
            if rejected:
                continue
            chunk.append(row)
            if len(chunk) >= size:
                self._hand_over(chunk)
                chunk, size = [], CHUNK_ROWS
        if check.stopped:
            return
        if chunk:
            self._hand_over(chunk)
        self.processed, self.invalid, self.valid = check.processed, check.invalid, check.valid
