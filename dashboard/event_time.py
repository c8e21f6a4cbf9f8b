"""Show an event's pages in the event's own time zone.

Every page of one event (its URL carries `event_id`, or it is a registrant's
page) activates the event's time zone for the request, so the presenters'
local times ("checked in at 18:42", history, the desk's clock) are the
venue's. The registrant page and its forms activate it in the view, from
the event they read with the registrant (activate_event_zone). Other pages, the API and the gateway keep the deployment's
TIME_ZONE (decision record 0101).
"""

from __future__ import annotations

import zoneinfo

from django.utils import timezone

from registrants.models import Event, Registrant

API_PREFIXES = ("/api/", "/gateway/")

# The pages whose `pk` is a registrant's (dashboard URL names). The registrant
# page and its forms (dashboard/views/registrants.py) are not here: they read
# the registrant with its event anyway and activate the zone themselves
# (activate_event_zone), which saves this lookup's query.
REGISTRANT_PAGES = frozenset({"registrant_row"})
# Event pages that need no lookup here: the registrant list reads the event
# anyway and activates its zone (activate_event_zone), where this lookup was
# one of ten queries; the dashboard's numbers.json formats its times in the
# zone its counters' statement returns (presenters.dashboard_numbers).
SELF_ZONED_EVENT_PAGES = frozenset({"registrants", "event_numbers"})


def event_time_zone(*, event_id: int | None = None, registrant_id: int | None = None):
    """The ZoneInfo of the event (or the registrant's event); None if unknown."""
    if event_id is not None:
        name = Event.objects.filter(pk=event_id).values_list("time_zone", flat=True).first()
    elif registrant_id is not None:
        name = (
            Registrant.objects.filter(pk=registrant_id)
            .values_list("event__time_zone", flat=True)
            .first()
        )
    else:
        return None
    return zone_named(name)


def zone_named(name: str | None) -> zoneinfo.ZoneInfo | None:
    """The ZoneInfo called `name`; None for none or one this system lacks."""
    try:
        return zoneinfo.ZoneInfo(name) if name else None
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return None  # a zone the system's database no longer has: the default


def activate_event_zone(event: Event) -> None:
    """For a view that has read the event already: its zone for the rest of
    the request (the middleware deactivates it after the response)."""
    zone = zone_named(event.time_zone)
    if zone is not None:
        timezone.activate(zone)


class EventTimeZoneMiddleware:
    """Activates the time zone of the event a page belongs to, for that request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Pages only: the API's datetimes keep one offset whatever the event.
        if request.path.startswith(API_PREFIXES):
            return None
        match = request.resolver_match
        zone = None
        own = match is not None and match.namespace == "dashboard"
        if "event_id" in view_kwargs:
            if not (own and match.url_name in SELF_ZONED_EVENT_PAGES):
                zone = event_time_zone(event_id=view_kwargs["event_id"])
        elif own and "pk" in view_kwargs:
            if match.url_name in REGISTRANT_PAGES:
                zone = event_time_zone(registrant_id=view_kwargs["pk"])
        if zone is not None:
            timezone.activate(zone)
        return None
