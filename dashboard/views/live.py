"""Small reads for the live pages: what a pushed change makes them re-read.

- one list row, as the list would render it for this user's role;
- the list's chip counts under the current filters;
- the desk's last scans with their registrants' statuses now.

Only scripts read these, so they answer 401/403 instead of redirecting to
the login page (a redirect would put the login form into a table row).
"""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from registrants import selectors
from registrants.models import Event
from registrants.pages import no_store
from registrants.permissions import P_VIEW_EVENT, P_VIEW_REGISTRANT, capabilities, role_kinds

from ..listing import chip_counts, row_for
from .common import json_refusal
from .desk import DESK_PERMS, recent_with_statuses, session_key


def _refusal(request, perms, event_id: int | None = None) -> HttpResponse | None:
    return json_refusal(request, perms, "Your role may not read this.", event_id)


def _list_url(request, event_id: int) -> str:
    """Where the row's plain-form fallback returns to: the list the row is on."""
    target = request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("dashboard:registrants", args=[event_id])


@require_GET
def registrant_row(request, pk: int):
    """One row of the registrant list, with the buttons this user's role has."""
    refusal = _refusal(request, (P_VIEW_EVENT, P_VIEW_REGISTRANT))
    if refusal:
        return refusal
    registrant = get_object_or_404(selectors.registrant_list().select_related("event"), pk=pk)
    refusal = _refusal(request, (), registrant.event_id)
    if refusal:
        return refusal
    row = row_for(registrant, user=request.user, kinds=role_kinds(request.user))
    return no_store(
        render(
            request,
            "dashboard/partials/registrant_row.html",
            {
                "row": row,
                "can": capabilities(request.user),
                "event": registrant.event,
                "next": _list_url(request, registrant.event_id),
            },
        )
    )


@require_GET
def registrant_counts(request, event_id: int):
    """The status chips' counts under the filters in the query string."""
    refusal = _refusal(request, (P_VIEW_EVENT, P_VIEW_REGISTRANT), event_id)
    if refusal:
        return refusal
    event = get_object_or_404(Event, pk=event_id)
    return no_store(JsonResponse({"counts": chip_counts(event=event, params=request.GET)}))


@require_GET
def desk_recent(request, event_id: int):
    """The desk's last scans (from this session), statuses as they are now."""
    refusal = _refusal(request, DESK_PERMS, event_id)
    if refusal:
        return refusal
    event = get_object_or_404(Event, pk=event_id)
    recent = recent_with_statuses(request.session.get(session_key(event.pk), []))
    return no_store(
        render(request, "dashboard/partials/desk_recent.html", {"event": event, "recent": recent})
    )
