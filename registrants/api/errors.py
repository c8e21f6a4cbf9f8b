"""One error shape for every error the API gives.

    {"error": {"code": "...", "message": "...", "fields": {...}}}

plus an optional "details" object for structured context. DRF's own errors
(parse errors, auth, throttling, 404/405/415) are mapped here too, and so are
Django's 404 and 500 pages under /api/.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.template.response import TemplateResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response

from registrants.errors import ApplicationError, http_status_for

logger = logging.getLogger(__name__)


def error_body(
    code: str,
    message: str,
    fields: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message, "fields": fields or {}}
    if details:
        body["details"] = details
    return {"error": body}


def flatten_detail(detail: Any) -> Any:
    """DRF's ErrorDetail trees as plain strings, lists and dicts."""
    if isinstance(detail, dict):
        return {str(k): flatten_detail(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [flatten_detail(v) for v in detail]
    return str(detail)


def first_message(fields: Any, prefix: str = "") -> str:
    """The first message of a flattened error tree, led by its field's
    dotted path ("items.0.code: This field is required.")."""
    if isinstance(fields, dict):
        for key, value in fields.items():
            label = key if key != "non_field_errors" else ""
            return first_message(
                value, f"{prefix}.{label}" if prefix and label else label or prefix
            )
    if isinstance(fields, list) and fields:
        return first_message(fields[0], prefix)
    text = str(fields)
    return f"{prefix}: {text}" if prefix else text


_DRF_CODES: list[tuple[type[exceptions.APIException], str]] = [
    (exceptions.ParseError, "malformed_request"),
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.AuthenticationFailed, "authentication_failed"),
    (exceptions.PermissionDenied, "permission_denied"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "throttled"),
]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | JsonResponse | None:
    """DRF's EXCEPTION_HANDLER: every exception becomes the one shape."""
    if isinstance(exc, ApplicationError):
        response = Response(
            error_body(exc.code, exc.message, exc.fields, exc.details),
            status=http_status_for(exc.code),
        )
        if response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
            response["Retry-After"] = "30"
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("payload_too_large", "The request body is too large."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    elif isinstance(exc, OperationalError | InterfaceError):
        logger.warning("database unavailable: %s", type(exc).__name__)
        return database_unavailable_response()
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_detail(exc.detail)
        if not isinstance(fields, dict):
            fields = {"non_field_errors": fields}
        return Response(
            error_body("validation_error", first_message(fields) or "Invalid input.", fields),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, exceptions.APIException):
        return _api_exception_response(exc)
    if isinstance(exc, DatabaseError):
        logger.exception("database error")
    return None  # let Django's 500 handling (handler500 below) answer


def _api_exception_response(exc: exceptions.APIException) -> Response:
    code = next((c for cls, c in _DRF_CODES if isinstance(exc, cls)), "error")
    message = flatten_detail(exc.detail)
    if not isinstance(message, str):
        message = first_message(message)
    response = Response(error_body(code, message), status=exc.status_code)
    if isinstance(exc, exceptions.Throttled):
        wait: float | None = exc.wait  # type: ignore[attr-defined]  # the stub omits Throttled.wait
        if wait is not None:
            response["Retry-After"] = str(max(1, int(wait + 0.999)))
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def database_unavailable_response() -> JsonResponse:
    response = JsonResponse(
        error_body(
            "service_unavailable",
            "The database is unavailable right now; try again in a few seconds.",
        ),
        status=503,
    )
    response["Retry-After"] = "2"
    return response


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def handler404(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("not_found", "No such resource."), status=404)
    return defaults.page_not_found(request, exception)


def handler500(request):
    if _is_api(request):
        return JsonResponse(
            error_body("server_error", "Something went wrong on our side; it has been logged."),
            status=500,
        )
    try:
        return TemplateResponse(request, "500.html", status=500).render()
    except Exception:  # the template itself may be what is broken
        return defaults.server_error(request)
