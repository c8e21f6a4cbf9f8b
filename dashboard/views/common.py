"""Helpers every page view uses."""

from __future__ import annotations

from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    """A partial-page request from htmx (not a history restore, which wants the page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def no_store(response):
    """Pages and fragments of live data must never come back from a cache
    (the back button would otherwise show a fragment or stale numbers)."""
    response["Cache-Control"] = "no-store"
    return response
