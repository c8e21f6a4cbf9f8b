"""Middleware that keeps API failures inside the one error shape."""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse

from .errors import database_unavailable_response, error_body

logger = logging.getLogger(__name__)


SESSION_KEY = re.compile(r"[a-z0-9]{8,64}")


class ApiErrorMiddleware:
    """Drop forged session cookies (every path). For /api/ requests: refuse
    NUL bytes in the query string with 400, and
    answer 503 (not 500) when the database is unreachable anywhere in the
    stack, sessions and authentication included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # A session key is Django's own [a-z0-9] string. Anything else in the
        # cookie is forged; left in, it reaches the session lookup (with a NUL
        # byte PostgreSQL answers DataError: a 500). It is simply no session.
        session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if session_key is not None and not SESSION_KEY.fullmatch(session_key):
            del request.COOKIES[settings.SESSION_COOKIE_NAME]
        if request.path.startswith("/api/") and any(
            "\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()
        ):
            return JsonResponse(
                error_body("validation_error", "Query parameters may not contain NUL bytes."),
                status=400,
            )
        return self.get_response(request)

    def process_exception(self, request, exception):
        if request.path.startswith("/api/") and isinstance(
            exception, OperationalError | InterfaceError
        ):
            logger.warning("database unavailable: %s", type(exception).__name__)
            return database_unavailable_response()
        return None
