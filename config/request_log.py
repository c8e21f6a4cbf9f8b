"""The request id and the one log line per request.

RequestLogMiddleware takes the caller's X-Request-ID when it is a sane token
(a load balancer or a scanner's retry may set one), else makes one; returns
it in the response's X-Request-ID; binds it (and the user and event, once
known) for every line logged while the request runs (config/logs.py); and
logs one line per request: method, path, status, duration. The probes
(/healthz, /readyz) are answered before it and never logged. The query
string is not logged: a search may hold a name.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

from . import logs

logger = logging.getLogger("request")

HEADER = "X-Request-ID"
# Letters, digits and a little punctuation, at most 128: anything else (a
# newline, a quote, a megabyte) is replaced, not echoed into logs.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}")
# Routes whose first id is an event's: events/<id>/... and api/v1/events/{pk}/...
EVENT_ROUTE = re.compile(r"^(api/v1/)?\^?events/")


def request_id_for(header: str | None) -> str:
    """The caller's request id when sane, else a new one."""
    if header and SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def _user_id(request: HttpRequest) -> int | None:
    """The user's id if authentication already ran: DRF sets request.user
    after token authentication; a session user is read only if something
    looked at it (the log line must not cost a session query)."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        if user._wrapped is empty:
            return None
        user = user._wrapped
    return getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class RequestLogMiddleware:
    """Bind the request id; log one line per request (second in MIDDLEWARE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = request_id_for(request.headers.get(HEADER))
        request.request_id = rid  # type: ignore[attr-defined]
        tokens = logs.bind(request_id=rid, user_id=None, event_id=None)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = rid
            self._log(request, response.status_code, started)
            return response
        finally:
            logs.unbind(tokens)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        """The event, when the route names one (events/<pk>/..., event_id)."""
        route = getattr(request.resolver_match, "route", "") or ""
        event = view_kwargs.get("event_id")
        if event is None and EVENT_ROUTE.match(route):
            event = view_kwargs.get("pk") or view_kwargs.get("id")
        if event is None and route.startswith("api/v1/registrants"):
            event = request.GET.get("event")
        logs.event_id.set(_int_or_none(event))
        return None

    def _log(self, request: HttpRequest, status: int, started: float) -> None:
        user = _user_id(request)
        if user is not None:
            logs.user_id.set(user)
        level = logging.WARNING if status >= 500 else logging.INFO
        logger.log(
            level,
            "%s %s %s",
            request.method,
            request.path,
            status,
            extra={
                "path": request.path,
                "method": request.method,
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
