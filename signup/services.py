"""The registration page's writes: its settings, its questions, and a
registration from the public form. Each owns its transaction; the
organiser's changes are audited in it (touching what is asked of people).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import Action
from audit.services import record
from registrants.errors import ApplicationError
from registrants.models import Event, GuestType, Registrant, Source
from registrants.services import registrant_register

from .models import Answer, Question, RegistrationPage, Submission
from .questions import label_key, require_answers, validated_question
from .selectors import PageState, page_state

_UNSET: Any = object()


def _event_or_404(event_id: int, *, lock: bool = False) -> Event:
    events = Event.objects.select_for_update() if lock else Event.objects
    event = events.filter(pk=event_id).first()
    if event is None:
        raise ApplicationError("not_found", "No such event.")
    return event


EARLIEST = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


def _validated_window(
    opens_at: datetime.datetime | None, closes_at: datetime.datetime | None
) -> None:
    for name, value in (("opens_at", opens_at), ("closes_at", closes_at)):
        if value is not None and timezone.is_naive(value):
            raise ApplicationError(
                "validation_error",
                f"{name}: give a time zone offset.",
                fields={name: ["Give a time zone offset, e.g. 2026-12-01T09:00:00+01:00."]},
            )
        # Before 1972 some zones' offsets had seconds (local mean time),
        # which an RFC 3339 date-time cannot show; no window starts then.
        if value is not None and value < EARLIEST:
            raise ApplicationError(
                "validation_error",
                f"{name}: a time from the year 2000 on.",
                fields={name: ["Give a time from the year 2000 on."]},
            )
    if opens_at is not None and closes_at is not None and opens_at >= closes_at:
        raise ApplicationError(
            "validation_error",
            "closes_at: registration must close after it opens.",
            fields={"closes_at": ["Must be later than the opening time."]},
        )


def _validated_guest_types(guest_types: Any) -> list[str]:
    if not isinstance(guest_types, list) or any(g not in GuestType.values for g in guest_types):
        raise ApplicationError(
            "validation_error",
            "guest_types: choose from the guest types.",
            fields={"guest_types": [f"A list of: {', '.join(GuestType.values)}."]},
        )
    # In the table's order, each once.
    return [g for g in GuestType.values if g in guest_types]


def registration_page_update(
    *,
    event_id: int,
    actor: Any,
    enabled: bool = _UNSET,
    opens_at: datetime.datetime | None = _UNSET,
    closes_at: datetime.datetime | None = _UNSET,
    guest_types: list[str] = _UNSET,
) -> RegistrationPage:
    """Change the event's registration page (what is not given stays).
    Raises not_found, validation_error."""
    with transaction.atomic():
        event = _event_or_404(event_id, lock=True)
        page, _ = RegistrationPage.objects.get_or_create(event=event)
        given: dict[str, Any] = {"enabled": enabled, "opens_at": opens_at, "closes_at": closes_at}
        if guest_types is not _UNSET:
            given["guest_types"] = _validated_guest_types(guest_types)
        changed = []
        for field, value in given.items():
            if value is not _UNSET and getattr(page, field) != value:
                setattr(page, field, value)
                changed.append(field)
        _validated_window(page.opens_at, page.closes_at)
        if changed:
            page.save(update_fields=[*changed, "updated_at"])
            record(
                action=Action.REGISTRATION_PAGE_CHANGED,
                actor=actor,
                event_id=event.pk,
                details={"fields": changed, "enabled": page.enabled},
            )
    return page


def question_create(
    *, event_id: int, actor: Any, label: Any, kind: Any, choices: Any = None, required: Any = False
) -> Question:
    """Add a question at the end of the event's list. Raises not_found,
    validation_error, conflict (another question has this label)."""
    spec = validated_question(label=label, kind=kind, choices=choices, required=required)
    with transaction.atomic():
        event = _event_or_404(event_id, lock=True)
        _refuse_same_label(event.pk, spec.label)
        last = Question.objects.filter(event=event).order_by("-position").first()
        question = Question.objects.create(
            event=event,
            label=spec.label,
            label_key=label_key(spec.label),
            kind=spec.kind,
            choices=spec.choices,
            required=spec.required,
            position=(last.position + 1) if last else 0,
        )
        _audit(Action.QUESTION_ADDED, actor, question, fields=["label", "kind", "required"])
    return question


def question_update(*, question_id: int, actor: Any, **changes: Any) -> Question:
    """Change a question's label, kind, choices, required or position (what
    is not given stays). Answers that no longer fit a changed kind or choice
    list are kept as given (they were valid when given). Raises not_found,
    validation_error, conflict."""
    with transaction.atomic():
        question = Question.objects.select_for_update().filter(pk=question_id).first()
        if question is None:
            raise ApplicationError("not_found", "No such question.")
        current = {
            "label": question.label,
            "kind": question.kind,
            "choices": question.choices,
            "required": question.required,
        }
        merged = {k: changes.get(k, v) for k, v in current.items()}
        spec = validated_question(**merged)
        if spec.label != question.label:
            _refuse_same_label(question.event_id, spec.label, exclude=question.pk)
        new = {**spec.__dict__, "label_key": label_key(spec.label)}
        if "position" in changes:
            position = changes["position"]
            if isinstance(position, bool) or not isinstance(position, int) or position < 0:
                raise ApplicationError(
                    "validation_error",
                    "position: a whole number from 0.",
                    fields={"position": ["A whole number from 0."]},
                )
            new["position"] = position
        changed = [f for f, v in new.items() if getattr(question, f) != v]
        if changed:
            for field in changed:
                setattr(question, field, new[field])
            question.save(update_fields=changed)
            _audit(Action.QUESTION_CHANGED, actor, question, fields=changed)
    return question


def question_delete(*, question_id: int, actor: Any) -> None:
    """Remove a question and every answer to it. Raises not_found."""
    with transaction.atomic():
        question = Question.objects.select_for_update().filter(pk=question_id).first()
        if question is None:
            raise ApplicationError("not_found", "No such question.")
        answers = Answer.objects.filter(question=question).count()
        _audit(Action.QUESTION_REMOVED, actor, question, fields=[], answers=answers)
        question.delete()


def _refuse_same_label(event_id: int, label: str, *, exclude: int | None = None) -> None:
    same = Question.objects.filter(event_id=event_id, label_key=label_key(label))
    if exclude is not None:
        same = same.exclude(pk=exclude)
    if same.exists():
        raise ApplicationError(
            "conflict",
            f"The event already asks “{label}”; give this question another label.",
            fields={"label": ["Another question of the event has this label."]},
        )


def _audit(action: Action, actor: Any, question: Question, *, fields: list[str], **extra) -> None:
    # The label is the organiser's wording, not a person's data.
    record(
        action=action,
        actor=actor,
        event_id=question.event_id,
        details={"question": question.pk, "label": question.label, "fields": fields, **extra},
    )


def public_register(
    *,
    event_id: int,
    nonce: str,
    name: str,
    email: str,
    company_name: str | None,
    guest_type: str,
    answers: dict[int, Any],
) -> tuple[Registrant, bool]:
    """A registration from the public page: (registrant, created).

    The form's `nonce` makes it once-only: the same form sent again (a
    double-click, a resubmit) returns the registrant the first one made.
    Checked after the event's lock, which every registration of the event
    takes, so two copies sent at once cannot both register. History source
    "registration", no actor. Raises not_found, registration_closed (409:
    disabled, not open yet or closed), event_closed,
    validation_error.
    """
    with transaction.atomic():
        event = _event_or_404(event_id, lock=True)
        first = Submission.objects.filter(nonce=nonce).select_related("registrant").first()
        if first is not None:
            if first.event_id != event.pk:
                raise ApplicationError("conflict", "This form belongs to another event.")
            return first.registrant, False
        page = RegistrationPage.objects.filter(event=event).first()
        state = page_state(event, page, timezone.now(), count_seats=False)
        if state not in (PageState.OPEN, PageState.FULL, PageState.EVENT_CLOSED):
            raise ApplicationError("registration_closed", state.message(event, page))
        assert page is not None  # an open page exists
        allowed = page.guest_types or [GuestType.ATTENDEE]
        if guest_type not in allowed:
            raise ApplicationError(
                "validation_error",
                "guest_type: not offered on this page.",
                fields={"guest_type": [f"Choose one of: {', '.join(allowed)}."]},
            )
        values = require_answers(Question.objects.filter(event=event), answers)
        # registrant_register refuses a closed event (409); a full one puts
        # the person on the waitlist, in order (registrants/waitlist.py).
        registrant = registrant_register(
            event_id=event.pk,
            name=name,
            email=email,
            guest_type=guest_type,
            company_name=company_name or None,
            actor=None,
            source=Source.REGISTRATION,
            join_waitlist=True,
        )
        Answer.objects.bulk_create(
            Answer(registrant=registrant, question_id=qid, value=value)
            for qid, value in values.items()
        )
        try:
            with transaction.atomic():
                Submission.objects.create(nonce=nonce, event=event, registrant=registrant)
        except IntegrityError:
            # Only if a path skipped the event lock: never two registrants.
            raise ApplicationError("conflict", "This form was already sent.") from None
    return registrant, True
