"""The import and export endpoints. Thin: parse, call a service, render.

Organisers only: imports need add_registrant, exports export_registrants
(registrants/roles.py). Errors come in the API's one shape.
"""

from __future__ import annotations

import datetime

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.models import Action
from audit.services import filter_summary, record
from registrants import selectors
from registrants.api.filters import StrictOrderingFilter
from registrants.api.schema import errors
from registrants.filters import ORDERING_ALIASES, RegistrantFilter
from registrants.lifecycle import Status
from registrants.models import Event, GuestType
from registrants.permissions import P_ADD_REGISTRANT, P_EXPORT, P_VIEW_CODE, P_VIEW_REGISTRANT

from . import answer_columns, exports, services
from .models import ImportJob
from .serializers import ImportCreateSerializer, ImportJobSerializer

P_IMPORT = P_ADD_REGISTRANT


class FirstRendererNegotiation(BaseContentNegotiation):
    """Always the view's first renderer (JSON, for errors), whatever Accept or
    ?format= say: the file endpoints answer with a file they build themselves,
    and `format` is their own query parameter, not DRF's format override."""

    def select_parser(self, request, parsers):
        media_type = request.content_type.split(";")[0].strip().lower()
        return next((p for p in parsers if p.media_type == media_type), None)

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@extend_schema(tags=["imports"])
class ImportCreateView(APIView):
    """Upload a spreadsheet of registrants; it is imported in the background."""

    parser_classes = [MultiPartParser]
    event_kwarg = "id"  # RolePermission: 403 outside the user's events
    required_perms = {"POST": [P_IMPORT]}

    @extend_schema(
        request={"multipart/form-data": ImportCreateSerializer},
        responses={
            202: ImportJobSerializer,
            **errors(400, 401, 403, 404, 409, 413, 415),
            409: OpenApiResponse(
                description="duplicate_import: this event already imported the same file "
                "(send force=true to import it again).",
                response=errors(409)[409].response,
            ),
        },
    )
    def post(self, request, id: str):  # noqa: A002 - the path parameter's name
        data = ImportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        job = services.import_job_create(
            event_id=int(id),
            upload=v["file"],
            actor=request.user,
            mode=v["mode"],
            force=v["force"],
        )
        job = ImportJob.objects.select_related("actor").get(pk=job.pk)
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


def _job_or_404(id: str) -> ImportJob:  # noqa: A002
    return get_object_or_404(ImportJob.objects.select_related("actor"), pk=int(id))


@extend_schema(tags=["imports"])
class ImportJobView(APIView):
    """An import's state, progress, counts and first errors."""

    required_perms = {"GET": [P_IMPORT]}

    @extend_schema(responses={200: ImportJobSerializer, **errors(401, 403, 404)})
    def get(self, request, id: str):  # noqa: A002
        job = _job_or_404(id)
        services.import_job_requeue_if_stale(job)
        return Response(ImportJobSerializer(job).data)


@extend_schema(tags=["imports"])
class ImportErrorsCsvView(APIView):
    """The import's error report as CSV: row, column, message."""

    required_perms = {"GET": [P_IMPORT]}
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="row,column,message"
            ),
            **errors(401, 403, 404),
        }
    )
    def get(self, request, id: str):  # noqa: A002
        job = _job_or_404(id)
        rows = (
            [r if r is not None else "", c, exports.neutralise(m)]
            for r, c, m in services.import_job_errors(job_id=job.pk).iterator(chunk_size=2000)
        )
        chunks = exports.csv_chunks(_with_header(["row", "column", "message"], rows))
        return exports.stream_response(
            request._request,
            chunks,
            filename=f"import-{job.pk}-errors.csv",
            content_type="text/csv; charset=utf-8",
        )


def _with_header(header, rows):
    yield header
    yield from rows


# --- Export -----------------------------------------------------------------------------

FORMATS = {"csv": "text/csv", "xlsx": exports.XLSX_TYPE}


class ExportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=list(FORMATS), default="csv")
    history = serializers.BooleanField(default=False)


_FILTER_PARAMETERS = [
    OpenApiParameter("format", str, enum=list(FORMATS), description="csv (default) or xlsx."),
    OpenApiParameter(
        "history",
        bool,
        description="Add the status history: a second sheet (xlsx), or a zip of "
        "registrants.csv and history.csv (csv).",
    ),
    OpenApiParameter(
        "status",
        str,
        many=True,
        enum=Status.values,
        explode=True,
        description="Repeatable or comma-separated.",
    ),
    OpenApiParameter(
        "guest_type",
        str,
        many=True,
        enum=GuestType.values,
        explode=True,
        description="Repeatable or comma-separated.",
    ),
    OpenApiParameter("company", int, description="Company id."),
    OpenApiParameter("search", str, description="Name, email or company contains this."),
    OpenApiParameter("created_after", datetime.datetime),
    OpenApiParameter("created_before", datetime.datetime),
    OpenApiParameter(
        "status_at",
        str,
        many=True,
        enum=Status.values,
        explode=True,
        description="Who had one of these statuses at `at` (now without it), from the history.",
    ),
    OpenApiParameter(
        "at",
        datetime.datetime,
        description="A past moment: with `status_at`, the statuses then; alone, who existed then.",
    ),
    OpenApiParameter(
        "answer",
        str,
        many=True,
        explode=True,
        description="`<question id>:<answer>` (repeatable; all must hold); case is ignored.",
    ),
]


@extend_schema(tags=["export"])
class ExportView(APIView):
    """The event's registrants, filtered like the registrant list, as a file."""

    required_perms = {"GET": [P_VIEW_REGISTRANT, P_EXPORT]}
    event_kwarg = "id"  # RolePermission: 403 outside the user's events
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        parameters=[
            *_FILTER_PARAMETERS,
            OpenApiParameter(
                "ordering",
                str,
                enum=[*ORDERING_ALIASES, *[f"-{k}" for k in ORDERING_ALIASES]],
                description="Sort by one field; prefix with '-' for descending. Default: id.",
            ),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="format=csv"),
            (200, exports.XLSX_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY, description="format=xlsx"
            ),
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY, description="format=csv&history=1"
            ),
            **errors(400, 401, 403, 404),
        },
    )
    def get(self, request, id: str):  # noqa: A002
        event = get_object_or_404(Event, pk=int(id))
        options = ExportQuerySerializer(data=request.query_params)
        options.is_valid(raise_exception=True)
        fmt, with_history = options.validated_data["format"], options.validated_data["history"]
        queryset = self._filtered(request, event)
        with_codes = request.user.has_perm(P_VIEW_CODE)
        # Audited when asked for: a file, once sent, cannot be called back.
        record(
            action=Action.LIST_EXPORTED,
            actor=request.user,
            event_id=event.pk,
            details={
                "format": fmt,
                "history": with_history,
                "check_in_codes": with_codes,
                "filter": filter_summary(request.query_params, skip=("format", "history")),
            },
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        base = f"event-{event.pk}-registrants-{stamp}"
        django_request = request._request

        def registrants_rows():
            rows = exports.registrant_rows(queryset, with_codes=with_codes)
            return answer_columns.with_answers(rows, event_id=event.pk)

        if fmt == "xlsx":
            sheets = [("Registrants", registrants_rows())]
            if with_history:
                sheets.append(("History", exports.history_rows(queryset)))
            return exports.file_response(
                django_request,
                exports.write_xlsx(sheets),
                filename=f"{base}.xlsx",
                content_type=exports.XLSX_TYPE,
            )
        if with_history:
            archive = exports.write_zip(
                [
                    ("registrants.csv", registrants_rows()),
                    ("history.csv", exports.history_rows(queryset)),
                ]
            )
            return exports.file_response(
                django_request, archive, filename=f"{base}.zip", content_type="application/zip"
            )
        chunks = exports.csv_chunks(registrants_rows())
        return exports.stream_response(
            django_request, chunks, filename=f"{base}.csv", content_type="text/csv; charset=utf-8"
        )

    def _filtered(self, request, event: Event):
        queryset = selectors.registrant_list().filter(event_id=event.pk)
        filterset = RegistrantFilter(data=request.query_params, queryset=queryset, request=request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        queryset = filterset.qs
        ordering = StrictOrderingFilter().get_ordering(request, queryset, self)
        return queryset.order_by(*(ordering or ()), "id")
