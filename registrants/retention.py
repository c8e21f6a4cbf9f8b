"""Retention: an event's registrants are erased `retention_days` after its
date (Event.retention_days; null keeps them). Run by `manage.py
erase_expired` and by Celery beat (registrants.erase_expired), through the
erasure of registrants/erasure.py: the history and every figure of the
event stay; the audit log records each erasure with the system as actor
and reason "retention". See docs/decisions/0181.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from django.utils import timezone

from .erasure import REASON_RETENTION, registrants_erase
from .models import Event, Registrant


@dataclass(frozen=True)
class Expired:
    event_id: int
    erased: int


def expired(event: Event, now: datetime.datetime) -> bool:
    """True once the day `retention_days` after the event's date is over in
    the event's time zone (0: the day after the event)."""
    if event.retention_days is None:
        return False
    today = now.astimezone(zoneinfo.ZoneInfo(event.time_zone)).date()
    return today > event.date + datetime.timedelta(days=event.retention_days)


def expired_events(now: datetime.datetime | None = None) -> list[Event]:
    """The events whose retention has passed, oldest first."""
    now = now or timezone.now()
    # At most a day of zone offset either way: the exact test is expired().
    horizon = now.date() + datetime.timedelta(days=1)
    candidates = Event.objects.filter(retention_days__isnull=False, date__lt=horizon)
    return [e for e in candidates.order_by("date", "id") if expired(e, now)]


def erase_expired(*, now: datetime.datetime | None = None) -> list[Expired]:
    """Erase the not yet erased registrants of every expired event (the
    erasure is idempotent: a second run erases nothing). Returns what was
    erased per event, events with nothing left to erase included."""
    done = []
    for event in expired_events(now):
        ids = Registrant.objects.filter(event_id=event.pk, erased_at__isnull=True).values_list(
            "pk", flat=True
        )
        count = registrants_erase(registrant_ids=list(ids), actor=None, reason=REASON_RETENTION)
        done.append(Expired(event_id=event.pk, erased=count))
    return done
