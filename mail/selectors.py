"""What the mail pages read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from registrants.models import Event

from . import wording
from .compose import wording_for
from .models import Kind, MailSettings, Message

RECENT = 50


@dataclass
class TemplateForm:
    """One kind's wording on the editor: what is saved (or was posted)."""

    kind: str
    label: str
    subject: str
    body: str
    customised: bool
    placeholders: list[str]
    errors: dict[str, list[str]] = field(default_factory=dict)


def settings_for(event: Event) -> MailSettings:
    """The event's settings, or the defaults (nothing automatic) unsaved."""
    return MailSettings.objects.filter(event=event).first() or MailSettings(event=event)


def wording_of(event: Event, kind: str) -> wording.Wording:
    """The wording a `kind` message of the event uses now."""
    return wording_for(event.pk, kind)


def templates_for(
    event: Event, *, posted: Any, errors: dict[str, dict[str, list[str]]]
) -> list[TemplateForm]:
    """Every kind's wording, with a refused one shown as it was posted."""
    saved = {t.kind: t for t in event.mail_templates.all()}
    forms = []
    for kind, label in Kind.choices:
        row = saved.get(kind)
        current = wording.Wording(row.subject, row.body) if row else wording.DEFAULTS[kind]
        subject, body = current.subject, current.body
        if kind in errors:
            subject, body = posted.get("subject", ""), posted.get("body", "")
        forms.append(
            TemplateForm(
                kind=kind,
                label=label,
                subject=subject,
                body=body,
                customised=kind in saved,
                placeholders=wording.allowed_placeholders(kind),
                errors=errors.get(kind, {}),
            )
        )
    return forms


def recent_messages(event: Event) -> QuerySet[Message]:
    """The event's latest messages, newest first."""
    return Message.objects.filter(event=event).select_related("registrant")[:RECENT]


def registrant_messages(registrant_id: int) -> QuerySet[Message]:
    """A registrant's messages, newest first (the registrant page)."""
    return Message.objects.filter(registrant_id=registrant_id).order_by("-id")[:RECENT]
