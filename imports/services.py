"""The import's entry points, as views, the API, tasks and tests call them.

The work lives in rooms of one job each: imports.jobs (a job's states:
accepting, claiming, requeueing, finishing, its report), imports.runner
(running a job: the two-pass and the one-pass import) and imports.streaming
(reading the upload: the one row-check loop and the producer thread).
See docs/decisions/0006.
"""

from __future__ import annotations

from .jobs import (
    MAX_ATTEMPTS,
    import_job_claim,
    import_job_create,
    import_job_errors,
    import_job_requeue_if_stale,
    import_jobs_requeue_stale,
    max_upload_bytes,
    stale_after,
)
from .runner import import_job_run

__all__ = [
    "MAX_ATTEMPTS",
    "import_job_claim",
    "import_job_create",
    "import_job_errors",
    "import_job_requeue_if_stale",
    "import_job_run",
    "import_jobs_requeue_stale",
    "max_upload_bytes",
    "stale_after",
]
