"""The 403, 404 and 500 pages. Under /api/ they answer in the API's error
shape instead (registrants.api.errors), so config.urls can point its handlers
here for every path."""

from __future__ import annotations

import logging

from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader

from registrants.api import errors as api_errors

from .common import is_htmx

logger = logging.getLogger(__name__)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _reason(exception) -> str:
    """Only the messages the pages raise themselves are shown; anything else
    could be an internal detail."""
    message = str(exception) if exception is not None else ""
    return message if message.startswith(_OWN_REASONS) else ""


_OWN_REASONS = ("Your role", "You are not assigned", "Only organisers")


def forbidden(request, exception=None):
    if _is_api(request):
        return JsonResponse(
            api_errors.error_body("permission_denied", "Your role may not do this."), status=403
        )
    template = "dashboard/partials/error_fragment.html" if is_htmx(request) else "403.html"
    return render(
        request,
        template,
        {
            "title": "Not allowed",
            "reason": _reason(exception),
            "status": 403,
        },
        status=403,
    )


def page_not_found(request, exception=None):
    if _is_api(request):
        return api_errors.handler404(request, exception)
    template = "dashboard/partials/error_fragment.html" if is_htmx(request) else "404.html"
    return render(request, template, {"title": "Not found", "status": 404}, status=404)


def server_error(request):
    if _is_api(request):
        return api_errors.handler500(request)
    # No request context: the database may be what failed, and the user,
    # session and messages all need it.
    try:
        return HttpResponseServerError(loader.get_template("500.html").render({}))
    except Exception:  # the template itself may be what is broken
        logger.exception("the 500 page failed to render")
        return HttpResponseServerError(
            "<!doctype html><title>Server error</title><h1>Something went wrong</h1>"
            "<p>It has been logged. Try again in a moment.</p>"
        )
