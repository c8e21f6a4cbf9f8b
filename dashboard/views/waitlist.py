"""The event's waitlist page: the line in order with each person's offer,
and (organisers) promotion by hand when a seat is free."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render

from registrants import services, waitlist
from registrants.models import Event
from registrants.pages import no_store, require_perms
from registrants.permissions import P_VIEW_EVENT, P_VIEW_REGISTRANT, capabilities, require_event


@require_perms(P_VIEW_EVENT, P_VIEW_REGISTRANT)
def event_waitlist(request, event_id: int):
    event = get_object_or_404(Event, pk=event_id)
    require_event(request.user, event.pk)
    # Reading the line passes lapsed offers on first (the embedded default
    # may run without beat), so what the page shows is current.
    services.waitlist_touch(event_id=event.pk)
    event.refresh_from_db()
    context = {
        "event": event,
        "entries": waitlist.entries(event.pk),
        "seats_held": services.seats_held(event_id=event.pk),
        "can": capabilities(request.user),
    }
    return no_store(render(request, "dashboard/waitlist.html", context))
