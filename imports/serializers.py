"""Input and output of the import and export endpoints."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import ImportJob

ERRORS_SHOWN = 100


class ImportCreateSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,
        help_text="CSV (comma, semicolon or tab; UTF-8 or Latin-1) or XLSX, with a header row: "
        "name, email, and optionally company and guest_type.",
    )
    mode = serializers.ChoiceField(
        choices=ImportJob.Mode.choices,
        default=ImportJob.Mode.ALL_OR_NOTHING,
        help_text="all_or_nothing: any invalid row imports nothing. valid_rows: import the "
        "valid rows and report the others.",
    )
    force = serializers.BooleanField(
        default=False, help_text="Import a file this event already imported (same content)."
    )


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(
        allow_null=True, help_text="Spreadsheet row (header = 1); null for the whole file."
    )
    column = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField(help_text="Percent of the rows checked, 0-100.")
    # DRF's metaclass pops declared fields, so Serializer.errors stays the
    # property; the stub cannot see that.
    errors = serializers.SerializerMethodField(  # type: ignore[assignment]
        help_text=f"The first {ERRORS_SHOWN} problems; errors_url has them all."
    )
    error_count = serializers.SerializerMethodField()
    errors_url = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "event",
            "state",
            "stage",
            "mode",
            "filename",
            "size",
            "content_hash",
            "forced",
            "total",
            "processed",
            "progress",
            "created",
            "failed",
            "message",
            "attempts",
            "actor",
            "created_at",
            "started_at",
            "finished_at",
            "error_count",
            "errors",
            "errors_url",
        ]
        read_only_fields = fields

    def get_actor(self, job: ImportJob) -> str | None:
        return job.actor.get_username() if job.actor_id and job.actor else None

    def get_progress(self, job: ImportJob) -> int:
        if job.finished:
            return 100
        if not job.total:
            return 0
        return min(100, job.processed * 100 // job.total)

    def _first_errors(self, job: ImportJob) -> list:
        from .services import import_job_errors

        # The stub types context as a Mapping; DRF hands every field one dict.
        cache = self.context.setdefault("_errors", {})  # type: ignore[attr-defined]
        if job.pk not in cache:
            cache[job.pk] = list(import_job_errors(job_id=job.pk)[:ERRORS_SHOWN])
        return cache[job.pk]

    @extend_schema_field(ImportErrorSerializer(many=True))
    def get_errors(self, job: ImportJob) -> list[dict]:
        # many=True gives a ReturnList; the stub types every .data a ReturnDict.
        return ImportErrorSerializer(  # type: ignore[return-value]
            [{"row": r, "column": c, "message": m} for r, c, m in self._first_errors(job)],
            many=True,
        ).data

    def get_error_count(self, job: ImportJob) -> int:
        return job.errors.count()

    def get_errors_url(self, job: ImportJob) -> str:
        return reverse("imports-api:errors-csv", args=[job.pk])
