"""Creating and editing events from the pages (organisers only).

Both go through services.event_create / event_update; a refusal (a capacity
below the seats taken, an unknown time zone) is shown on the form with the
HTTP status the API would give.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect

from registrants import services
from registrants.errors import ApplicationError, http_status_for
from registrants.models import Event
from registrants.pages import render_page, require_perms
from registrants.permissions import P_ADD_EVENT, P_CHANGE_EVENT, P_VIEW_EVENT

from ..event_forms import EventForm


def _render(request, form: EventForm, event: Event | None, status: int):
    # The form's event is `edited`: `event` would show the event's menu bar
    # (base.html), which a new event does not have.
    return render_page(
        request, "dashboard/event_form.html", {"form": form, "edited": event}, status=status
    )


@require_perms(P_VIEW_EVENT, P_ADD_EVENT)
def event_new(request):
    """The new-event form; after creating, the events page."""
    form = EventForm(request.POST or None)
    if request.method != "POST":
        return _render(request, form, None, 200)
    if not form.is_valid():
        return _render(request, form, None, 400)
    try:
        event = services.event_create(**form.cleaned_data)
    except ApplicationError as exc:
        form.add_service_error(exc)
        return _render(request, form, None, http_status_for(exc.code))
    messages.success(request, f"{event.name} was created.")
    return redirect("dashboard:events")


@require_perms(P_VIEW_EVENT, P_CHANGE_EVENT)
def event_edit(request, event_id: int):
    """Edit an event's name, date, capacity, time zone, scan modes, closing
    and retention."""
    event = get_object_or_404(Event, pk=event_id)
    initial = {
        "name": event.name,
        "date": event.date,
        "capacity": event.capacity,
        "time_zone": event.time_zone,
        "door_modes": event.door_modes,
        "closed": event.closed,
        "retention_days": event.retention_days,
        "waitlist_offer_hours": event.waitlist_offer_hours,
    }
    form = EventForm(request.POST or None, initial=initial)
    if request.method != "POST":
        return _render(request, form, event, 200)
    if not form.is_valid():
        return _render(request, form, event, 400)
    try:
        services.event_update(event_id=event.pk, **form.cleaned_data)
    except ApplicationError as exc:
        form.add_service_error(exc)
        return _render(request, form, event, http_status_for(exc.code))
    messages.success(request, f"{form.cleaned_data['name']} was saved.")
    return redirect("dashboard:events")
