"""The registrant page's history, each row's words and times worked out once.

The timeline showed each row through six filters and a tag (its badge,
whether it is a correction, two formats of its time, the previous status's
label, the actor's name, the source's label): about 0.2 ms a row of
template work. The same values, computed here with the same functions
(Django's date formats in the active time zone, registrants.presenters'
labels), leave the template plain lookups.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import dateformat, timezone

from registrants import presenters
from registrants.lifecycle import Kind, kind_of_change
from registrants.models import Source, StatusChange

from .templatetags.dashboard import status_badge

_SOURCE_LABELS = {source.value: source.label for source in Source}


@dataclass(frozen=True)
class TimelineRow:
    """One history row as the timeline shows it."""

    to_status: str
    badge: str  # safe HTML (format_html)
    correction: bool
    at_iso: str  # the `date:'c'` of the active time zone
    at_text: str  # `date:"j M Y H:i:s"`
    from_label: str  # "" for the creation row
    actor: str
    source: str
    note: str


def timeline_rows(history: list[StatusChange]) -> list[TimelineRow]:
    """`history` (oldest first) as TimelineRows, in the current time zone."""
    rows = []
    for change in history:
        at = timezone.localtime(change.at)
        rows.append(
            TimelineRow(
                to_status=change.to_status,
                badge=status_badge(change.to_status),
                correction=kind_of_change(change.from_status, change.to_status) == Kind.CORRECTION,
                at_iso=dateformat.format(at, "c"),
                at_text=dateformat.format(at, "j M Y H:i:s"),
                from_label=(
                    presenters.status_label(change.from_status).lower()
                    if change.from_status
                    else ""
                ),
                actor=presenters.actor_display_name(change.actor),
                source=_SOURCE_LABELS.get(change.source, change.source),
                note=change.note,
            )
        )
    return rows
