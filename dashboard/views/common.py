"""Helpers every page view uses."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest, JsonResponse

from registrants.api.errors import error_body
from registrants.permissions import EVENT_REFUSAL, may_access_event


def is_htmx(request: HttpRequest) -> bool:
    """A partial-page request from htmx (not a history restore, which wants the page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def json_refusal(
    request: HttpRequest, perms: Iterable[str], message: str, event_id: int | None = None
) -> JsonResponse | None:
    """For endpoints only scripts read: 401/403 in the API's error shape
    instead of a redirect to the login page (which a script would take for
    the data). None when the user may go on (and, given `event_id`, may
    access that event)."""
    if not request.user.is_authenticated:
        return JsonResponse(
            error_body("not_authenticated", "Your session has ended; log in again."), status=401
        )
    if not request.user.has_perms(list(perms)):
        return JsonResponse(error_body("permission_denied", message), status=403)
    if event_id is not None and not may_access_event(request.user, event_id):
        return JsonResponse(error_body("permission_denied", EVENT_REFUSAL), status=403)
    return None
