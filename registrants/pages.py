"""What the server-rendered pages of every app share (the dashboard, badges,
imports, the gateway's conflicts page): the permission gate, the `id` URL
converter, and rendering that is never cached and carries the user's
capabilities. Here, below those apps, so that none of them imports another
(docs/decisions/0156-permissions-and-pages-in-the-domain.md).

Templates hide what a role may not do; the views check the same rules again
on every POST, because a hidden button can still be forged.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import register_converter

from .permissions import capabilities, require_event


def require_perms(*perms: str) -> Callable:
    """login_required, then 403 unless the user holds every permission and,
    for a page of one event (an `event_id` in the URL), may access it."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_perms(perms):
                raise PermissionDenied("Your role may not open this page.")
            if "event_id" in kwargs:
                require_event(request.user, int(kwargs["event_id"]))
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


def no_store(response):
    """Pages and fragments of live data must never come back from a cache
    (the back button would otherwise show a fragment or stale numbers)."""
    response["Cache-Control"] = "no-store"
    return response


def render_page(
    request: HttpRequest, template: str, context: dict, *, status: int = 200
) -> HttpResponse:
    """A page of live data: the template with the user's capabilities (what
    its controls may show), never cached."""
    return no_store(
        render(request, template, {**context, "can": capabilities(request.user)}, status=status)
    )


class IdConverter:
    """A database id: at most 18 digits, so that a longer number is a 404,
    not an overflow in the database driver."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


# Registered once, when the first URL module that uses `<id:...>` imports this.
register_converter(IdConverter, "id")
