"""Import jobs and their per-row error reports, kept in the database so that
they survive a worker restart and every web process sees the same progress."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from registrants.models import Event


class ImportJob(models.Model):
    """One uploaded file being imported into one event."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", "All or nothing"
        VALID_ROWS = "valid_rows", "Import the valid rows"

    class Stage(models.TextChoices):
        WAITING = "", "Waiting"
        CHECKING = "checking", "Checking rows"
        IMPORTING = "importing", "Importing"
        FINISHED = "finished", "Finished"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="import_jobs")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.ALL_OR_NOTHING)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    stage = models.CharField(
        max_length=16, choices=Stage.choices, default=Stage.WAITING, blank=True
    )
    filename = models.CharField(max_length=255, help_text="The name the file was uploaded with.")
    size = models.PositiveBigIntegerField(default=0)
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the uploaded bytes.")
    forced = models.BooleanField(default=False, help_text="Uploaded again on purpose.")
    # Data rows in the file (known exactly once it has been read through),
    # rows checked so far, registrants created, rows refused.
    total = models.PositiveIntegerField(null=True, blank=True)
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=1000, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the worker running it."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["event", "content_hash"], name="importjob_event_hash"),
            models.Index(fields=["state", "heartbeat_at"], name="importjob_state_heartbeat"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=["queued", "running", "done", "failed"]),
                name="importjob_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"import #{self.pk} of {self.filename} ({self.state})"

    @property
    def marker(self) -> str:
        """The note every history row this job creates carries: how a
        redelivered task recognises an import that already committed."""
        return f"import #{self.pk}"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)


class ImportRowError(models.Model):
    """One problem found in the file: a row (None for the whole file), the
    column it is in (blank when not about one column) and what is wrong."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="errors")
    row = models.PositiveIntegerField(null=True, blank=True)
    column = models.CharField(max_length=32, blank=True)
    message = models.CharField(max_length=500)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["job", "id"], name="importrowerror_job")]

    def __str__(self) -> str:
        return f"row {self.row} {self.column}: {self.message}"


# For the OpenAPI schema's enum names (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
ImportMode = ImportJob.Mode


class ImportUpload(models.Model):
    """The uploaded file of a job that has not finished, kept in the database
    so that a worker on any node can read it (imports/upload_store.py).
    A table of its own, so that listing jobs never loads the bytes."""

    job = models.OneToOneField(
        ImportJob, on_delete=models.CASCADE, primary_key=True, related_name="upload"
    )
    content = models.BinaryField()

    def __str__(self) -> str:
        return f"upload of import #{self.job_id}"
