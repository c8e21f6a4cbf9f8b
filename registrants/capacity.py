"""Seats taken: the one place that says what occupies a seat of an event.

Registrations, reinstates, imports and capacity changes call it under the
event's lock (services.common._lock_event); the event list shows it. Read
from the counters (registrants/counters), so it costs the same at ten
registrants as at a million.
"""

from __future__ import annotations

from .counters import reads


def seats_taken(*, event_id: int) -> int:
    """Registrants of the event in a status that holds a seat
    (lifecycle.SEAT_HOLDING)."""
    return reads.seats_taken(event_id)
