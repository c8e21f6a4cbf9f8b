"""An import job's rows staged on SQLite (registrants.import_stage).

The check pass writes the valid rows here instead of to a spill file; the
job's import transaction then moves them in one short step. The stage has
the spill file's interface (add, count, row_numbers, import_into, close).
"""

from __future__ import annotations

from registrants.import_stage import ImportStage, registrants_import_staged
from registrants.services import ImportBatchResult

from .models import ImportJob


class Stage(ImportStage):
    """The job's stage (a TEMP table of this thread's connection)."""

    def __init__(self, job: ImportJob) -> None:
        super().__init__(f"job_{job.pk}")

    def import_into(self, job: ImportJob, *, all_or_nothing: bool) -> ImportBatchResult:
        return registrants_import_staged(
            event_id=job.event_id,
            stage=self,
            actor=job.actor,
            marker=job.marker,
            all_or_nothing=all_or_nothing,
        )
