"""Writes of the mail app. A message is written in its caller's transaction
(with its cause) and sent after that commits."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils.html import escape

from registrants.errors import ApplicationError
from registrants.models import Event, Registrant

from . import wording
from .compose import WITH_TICKET, Composed, compose
from .dispatch import dispatch_on_commit
from .models import Kind, MailSettings, MailTemplate, Message
from .sending import QR_CONTENT_ID

# The HTML part: the text's paragraphs in a plain, readable frame.
HTML_FRAME = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{subject}</title>'
    '</head><body style="font-family: sans-serif; line-height: 1.5; max-width: 40em">'
    "{body}</body></html>"
)
QR_IMAGE_HTML = (
    f'<p><img src="cid:{QR_CONTENT_ID}" alt="The QR code of your ticket" '
    'width="232" height="232"></p>'
)


def message_build(
    *,
    registrant: Registrant,
    kind: str,
    template: wording.Wording | None = None,
    offer_expires_at: datetime.datetime | None = None,
    confirm_url: str = "",
    reminder_job_id: int | None = None,
) -> Message:
    """A `kind` message to `registrant`, composed and not yet saved."""
    composed = compose(
        registrant,
        kind,
        template=template,
        offer_expires_at=offer_expires_at,
        confirm_url=confirm_url,
    )
    return Message(**_fields(registrant, kind, composed, reminder_job_id=reminder_job_id))


def messages_queue(messages: list[Message]) -> list[Message]:
    """Save built messages in the caller's transaction (or their own) and
    hand them to their sender together after commit."""
    with transaction.atomic():
        saved = Message.objects.bulk_create(messages)
        dispatch_on_commit([m.pk for m in saved])
    return saved


def message_queue(**kwargs: Any) -> Message:
    """message_build's message, queued (see messages_queue)."""
    return messages_queue([message_build(**kwargs)])[0]


def _fields(
    registrant: Registrant, kind: str, composed: Composed, *, reminder_job_id: int | None
) -> dict[str, Any]:
    with_ticket = kind in WITH_TICKET
    html = HTML_FRAME.format(
        subject=escape(composed.subject),
        body=composed.html + (QR_IMAGE_HTML if with_ticket else ""),
    )
    return {
        "registrant": registrant,
        "event_id": registrant.event_id,
        "kind": kind,
        "reminder_job_id": reminder_job_id,
        "recipient": registrant.email,
        "subject": composed.subject,
        "body_text": composed.text,
        "body_html": html,
        "with_ticket": with_ticket,
    }


def waitlist_offer_queue(
    *, registrant_id: int, expires_at: datetime.datetime, confirm_url: str
) -> Message:
    """Queue the waitlist offer to a registrant: a seat is theirs if they
    follow `confirm_url` (absolute) before `expires_at` (aware; shown in
    the event's time zone). Call it in the transaction that makes the
    offer: the message is sent after it commits. Raises not_found (no such
    registrant, or erased) and validation_error (a naive time)."""
    if expires_at.tzinfo is None:
        raise ApplicationError(
            "validation_error",
            "The offer's expiry needs a time zone.",
            fields={"expires_at": ["Give an aware time."]},
        )
    registrant = (
        Registrant.objects.select_related("event")
        .filter(pk=registrant_id, erased_at__isnull=True)
        .first()
    )
    if registrant is None:
        raise ApplicationError("not_found", "No such registrant.")
    return message_queue(
        registrant=registrant,
        kind=Kind.WAITLIST_OFFER,
        offer_expires_at=expires_at,
        confirm_url=confirm_url,
    )


def mail_settings_update(*, event: Event, confirmations: bool, cancellations: bool) -> MailSettings:
    """Set which automatic messages an event sends."""
    row, _created = MailSettings.objects.update_or_create(
        event=event, defaults={"confirmations": confirmations, "cancellations": cancellations}
    )
    return row


def mail_template_save(*, event: Event, kind: str, subject: str, body: str) -> MailTemplate:
    """Save an event's wording of `kind`. Raises validation_error (an
    unknown placeholder, an empty part, a subject on two lines)."""
    if kind not in Kind.values:
        raise ApplicationError("not_found", "No such kind of message.")
    wording.check_template(kind, subject=subject, body=body)
    row, _created = MailTemplate.objects.update_or_create(
        event=event, kind=kind, defaults={"subject": subject.strip(), "body": body}
    )
    return row


def mail_template_reset(*, event: Event, kind: str) -> None:
    """Go back to the default wording of `kind` for an event."""
    MailTemplate.objects.filter(event=event, kind=kind).delete()
