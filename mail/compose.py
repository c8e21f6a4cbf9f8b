"""What one message says to one registrant: the event's wording (or the
default) filled with their details, times in the event's time zone."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings

from registrants.models import Registrant
from registrants.presenters import local_time, status_label

from . import wording
from .models import Kind, MailTemplate
from .tickets import ticket_path


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    html: str


def absolute(path: str) -> str:
    """A link for an e-mail: the site's public address (SITE_URL) and `path`."""
    return settings.SITE_URL.rstrip("/") + path


def wording_for(event_id: int, kind: str) -> wording.Wording:
    """The event's template of `kind`, else the default."""
    return wordings_for({(event_id, kind)})[event_id, kind]


def wordings_for(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], wording.Wording]:
    """The event's template of each (event id, kind), else the default, in
    one query (a template is unique per event and kind)."""
    found = {
        (row.event_id, row.kind): wording.Wording(row.subject, row.body)
        for row in MailTemplate.objects.filter(
            event_id__in={e for e, _ in pairs}, kind__in={k for _, k in pairs}
        )
    }
    return {pair: found.get(pair, wording.DEFAULTS[pair[1]]) for pair in pairs}


def values_for(
    registrant: Registrant,
    *,
    offer_expires_at: datetime.datetime | None = None,
    confirm_url: str = "",
) -> dict[str, str]:
    """The placeholders' values for one registrant (event loaded or cheap)."""
    event = registrant.event
    values = {
        "name": registrant.name,
        "event": event.name,
        "date": f"{event.date:%A %d %B %Y}",
        "status": status_label(registrant.status),
        "ticket_url": absolute(ticket_path(registrant)),
        "registered_at": _local(registrant.created_at, event.time_zone),
    }
    if offer_expires_at is not None:
        values["offer_expires_at"] = _local(offer_expires_at, event.time_zone)
        values["confirm_url"] = confirm_url
    return values


def _local(at: datetime.datetime, time_zone: str) -> str:
    """A time with its day and zone, as the venue's clock shows it."""
    return f"{local_time(at, time_zone, with_date=True)} ({time_zone})"


def compose(
    registrant: Registrant,
    kind: str,
    *,
    template: wording.Wording | None = None,
    offer_expires_at: datetime.datetime | None = None,
    confirm_url: str = "",
) -> Composed:
    """The subject, text and HTML of a `kind` message to `registrant`."""
    chosen = template or wording_for(registrant.event_id, kind)
    values = values_for(registrant, offer_expires_at=offer_expires_at, confirm_url=confirm_url)
    subject, text, html = wording.render(chosen, values)
    return Composed(subject, text, html)


WITH_TICKET = frozenset({Kind.CONFIRMATION})
