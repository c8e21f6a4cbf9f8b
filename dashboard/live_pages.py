"""What a page that follows an event live needs to know, embedded as JSON.

live.js connects to `url`; the pages turn pushed changes into rows with the
labels and the time zone the server would use, so a pushed feed row reads
exactly like a rendered one (presenters.feed_item).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from registrants.lifecycle import SEAT_HOLDING, Status
from registrants.models import Event, GuestType, Source
from registrants.presenters import SYSTEM_ACTOR

from .presenters import FEED_NO_STATUS

# While the socket is live the periodic re-read is only a safety net; while
# it is down it is the fallback that keeps the page current (live.js).
LIST_REFRESH = {"down": 15, "live": 60}
DESK_REFRESH = {"down": 20, "live": 60}
DASHBOARD_LIVE_REFRESH_SECONDS = 30


def stream_path(event_id: int) -> str:
    """The event's websocket (live/routing.py; not a Django URL)."""
    return f"/ws/events/{event_id}/"


def live_page_config(event: Event, **extra: Any) -> dict[str, Any]:
    return {
        "url": stream_path(event.pk),
        "event": event.pk,
        "statuses": [[s.value, s.label] for s in Status],
        # The statuses that count as attendees (hold a seat), for the tiles.
        "seat_holding": [s.value for s in Status if s in SEAT_HOLDING],
        "sources": dict(Source.choices),
        "guest_types": dict(GuestType.choices),
        # What a pushed feed row says for no from-status and for no actor.
        "no_status_label": FEED_NO_STATUS,
        "system_actor": SYSTEM_ACTOR,
        "time_zone": settings.TIME_ZONE,
        # "/registrants/0/": the page puts the registrant's id in place of 0.
        "registrant_url": reverse("dashboard:registrant", args=[0]),
        **extra,
    }
