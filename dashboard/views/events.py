"""The events list, the event dashboard and its numbers for the refresh."""

from __future__ import annotations

from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from registrants import selectors
from registrants.api.errors import error_body
from registrants.pages import no_store, require_perms
from registrants.permissions import (
    P_VIEW_EVENT,
    P_VIEW_HISTORY,
    P_VIEW_REGISTRANT,
    accessible_events,
    capabilities,
)

from ..as_of import as_of_config, by_status_of
from ..live_pages import DASHBOARD_LIVE_REFRESH_SECONDS, live_page_config
from ..presenters import dashboard_numbers, percent
from .common import json_refusal

# The dashboard re-reads its numbers this often while its websocket is down
# (the fallback); while the socket is live, every DASHBOARD_LIVE_REFRESH_SECONDS.
REFRESH_SECONDS = 5


@require_perms(P_VIEW_EVENT)
def event_list(request):
    today = timezone.localdate()
    events = [
        {"event": e, "percent": percent(e.seats_taken, e.capacity), "today": e.date == today}
        for e in accessible_events(request.user, selectors.event_list())
    ]
    # Today's events first (the desk opens from here), then newest date first;
    # closed events (no new registrations) are listed apart, after the open ones.
    events.sort(key=lambda item: not item["today"])
    groups = [("", [i for i in events if not i["event"].closed])]
    closed = [i for i in events if i["event"].closed]
    if closed:
        groups.append(("Closed events", closed))
    return render(
        request,
        "dashboard/events.html",
        {"groups": groups, "can": capabilities(request.user)},
    )


@require_perms(P_VIEW_EVENT, P_VIEW_REGISTRANT, P_VIEW_HISTORY)
def event_dashboard(request, event_id: int):
    event = get_object_or_404(selectors.event_list(), pk=event_id)
    numbers = dashboard_numbers(event.pk)
    if numbers is None:  # deleted between the two reads
        raise Http404
    numbers_url = reverse("dashboard:event_numbers", args=[event.pk])
    return no_store(
        render(
            request,
            "dashboard/event_dashboard.html",
            {
                "event": event,
                "numbers": numbers,
                "live_config": live_page_config(
                    event,
                    numbers_url=numbers_url,
                    down_seconds=REFRESH_SECONDS,
                    live_seconds=DASHBOARD_LIVE_REFRESH_SECONDS,
                ),
                "can": capabilities(request.user),
                "as_of_config": as_of_config(event, by_status_of(numbers)),
            },
        )
    )


def event_numbers(request, event_id: int):
    """The dashboard numbers as JSON, for the page's periodic refresh.

    Session-authenticated like the page; answers 401/403 in JSON rather than
    redirecting to the login page, since only scripts read it.
    """
    refusal = json_refusal(
        request,
        (P_VIEW_EVENT, P_VIEW_REGISTRANT, P_VIEW_HISTORY),
        "Your role may not read these numbers.",
        event_id=event_id,
    )
    if refusal is not None:
        return refusal
    numbers = dashboard_numbers(event_id)
    if numbers is None:
        return JsonResponse(error_body("not_found", "No such event."), status=404)
    return no_store(JsonResponse(numbers))
