"""The registration page's reads: whether it is open, its questions, a
registrant's answers."""

from __future__ import annotations

import datetime
import enum
import zoneinfo
from typing import Any

from django.utils import formats, timezone

from registrants.models import Event, Registrant
from registrants.services import seats_held

from .models import Answer, Question, RegistrationPage


class PageState(enum.Enum):
    """What the public page shows; OPEN and FULL (the waitlist) have a form."""

    DISABLED = "disabled"
    NOT_OPEN = "not_open"
    CLOSED = "closed"
    EVENT_CLOSED = "event_closed"
    FULL = "full"
    OPEN = "open"

    def message(self, event: Event, page: RegistrationPage | None) -> str:
        """The sentence the public page shows for this state."""
        if self is PageState.NOT_OPEN and page is not None and page.opens_at is not None:
            return f"Registration for {event.name} opens on {_local(page.opens_at, event)}."
        if self is PageState.CLOSED and page is not None and page.closes_at is not None:
            return f"Registration for {event.name} closed on {_local(page.closes_at, event)}."
        return {
            PageState.DISABLED: f"{event.name} takes no registrations on this site.",
            PageState.EVENT_CLOSED: f"{event.name} is closed: it takes no new registrations.",
            PageState.FULL: f"{event.name} is full. Register to join the waitlist: "
            "if a seat frees up, you are e-mailed an offer to take it.",
            PageState.OPEN: f"Registration for {event.name} is open.",
        }[self]


def _local(moment: datetime.datetime, event: Event) -> str:
    """A moment in the venue's time zone, with the zone's name."""
    local = timezone.localtime(moment, event_zone(event))
    return f"{formats.date_format(local, 'j F Y, H:i')} ({event.time_zone.replace('_', ' ')})"


def event_zone(event: Event) -> datetime.tzinfo:
    """The event's time zone (the deployment's if the name is unknown)."""
    try:
        return zoneinfo.ZoneInfo(event.time_zone)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return timezone.get_default_timezone()


def page_state(
    event: Event,
    page: RegistrationPage | None,
    now: datetime.datetime,
    *,
    count_seats: bool = True,
) -> PageState:
    """Whether the event's public page takes registrations at `now`; with
    `count_seats`, a full event is FULL (one count query)."""
    if page is None or not page.enabled:
        return PageState.DISABLED
    if page.opens_at is not None and now < page.opens_at:
        return PageState.NOT_OPEN
    if page.closes_at is not None and now >= page.closes_at:
        return PageState.CLOSED
    if event.closed:
        return PageState.EVENT_CLOSED
    if count_seats and seats_held(event_id=event.pk) >= event.capacity:
        return PageState.FULL
    return PageState.OPEN


def registration_page(event: Event) -> RegistrationPage:
    """The event's page settings (an unsaved, disabled one if never set)."""
    return RegistrationPage.objects.filter(event=event).first() or RegistrationPage(event=event)


def event_questions(event_id: int) -> list[Question]:
    """The event's questions in display order."""
    return list(Question.objects.filter(event_id=event_id).order_by("position", "id"))


def registrant_answers(registrant: Registrant) -> list[dict[str, Any]]:
    """The registrant's answers, question order: label, kind, value."""
    rows = (
        Answer.objects.filter(registrant=registrant)
        .select_related("question")
        .order_by("question__position", "question_id")
    )
    return [
        {
            "question": a.question_id,
            "label": a.question.label,
            "kind": a.question.kind,
            "value": a.value,
        }
        for a in rows
    ]


def answers_by_registrant(
    registrant_ids: list[int], question_ids: list[int]
) -> dict[int, dict[int, str]]:
    """{registrant id: {question id: value}} for an export's chunk (one query)."""
    found: dict[int, dict[int, str]] = {}
    rows = Answer.objects.filter(registrant_id__in=registrant_ids, question_id__in=question_ids)
    for rid, qid, value in rows.values_list("registrant_id", "question_id", "value"):
        found.setdefault(rid, {})[qid] = value
    return found


def answer_filter_options(event_id: int) -> list[tuple[str, list[tuple[str, str]]]]:
    """The registrant list's answer filter: (question label, [(filter value,
    option label)]) for each choice and yes/no question, in question order."""
    groups = []
    for q in event_questions(event_id):
        if q.kind == Question.Kind.YES_NO:
            options = [("yes", "Yes"), ("no", "No")]
        elif q.kind == Question.Kind.CHOICE:
            options = [(o, o) for o in q.choices]
        else:
            continue
        groups.append((q.label, [(f"{q.pk}:{value}", label) for value, label in options]))
    return groups
