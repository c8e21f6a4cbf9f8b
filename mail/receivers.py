"""What other apps' events mean for mail: a registration or a cancellation
queues its message (in the same transaction), an erasure scrubs the log,
a subject access export lists the messages."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from registrants.models import Registrant, Source, StatusChange
from registrants.signals import (
    history_rows_created,
    personal_data_requested,
    registrants_erasing,
    waitlist_offer_made,
)

from .compose import absolute
from .models import Kind, MailSettings, Message, MessageStatus
from .services import message_queue, waitlist_offer_queue
from .tickets import ticket_path

REGISTERED, CANCELLED = "registered", "cancelled"
# A ticket goes out when someone becomes registered: new, promoted from the
# waitlist, or reinstated.
TICKET_FROM = {"", "waitlisted", CANCELLED}
SCRUBBED = "(erased)"


def kind_for(change: StatusChange) -> str | None:
    """The message a history row calls for, before any event setting."""
    if change.to_status == REGISTERED and change.from_status in TICKET_FROM:
        # An import registers thousands at once: the reminder is its mail.
        return None if change.source == Source.IMPORT else Kind.CONFIRMATION
    if change.to_status == CANCELLED:
        return Kind.CANCELLATION
    return None


@receiver(post_save, sender=StatusChange, dispatch_uid="mail.status_change")
def queue_on_status_change(
    sender: Any, instance: StatusChange, created: bool, **kwargs: Any
) -> None:
    """Sent by StatusChange.objects.create, inside the writer's transaction:
    the message row commits or rolls back with the change. The SQL fast
    paths (scans) send no signal: a scan mails nobody."""
    if created:
        _queue_for(instance, {})


@receiver(history_rows_created, dispatch_uid="mail.bulk_status_changes")
def queue_on_bulk_status_changes(sender: Any, changes: list[StatusChange], **kwargs: Any) -> None:
    """A bulk action's rows (one INSERT, no post_save), in its transaction:
    the same messages as the changes made one by one."""
    chosen: dict[int, MailSettings | None] = {}
    for change in changes:
        _queue_for(change, chosen)


def _queue_for(instance: StatusChange, chosen_by_event: dict[int, MailSettings | None]) -> None:
    """Queue the message a history row calls for, if the event wants it
    (`chosen_by_event` caches the events' settings over a batch)."""
    kind = kind_for(instance)
    if kind is None:
        return
    if instance.event_id not in chosen_by_event:
        chosen_by_event[instance.event_id] = MailSettings.objects.filter(
            event_id=instance.event_id
        ).first()
    chosen = chosen_by_event[instance.event_id]
    wanted = chosen is not None and (
        chosen.confirmations if kind == Kind.CONFIRMATION else chosen.cancellations
    )
    # Someone who registered on the public page asked for their ticket, and
    # someone promoted from the waitlist was e-mailed the offer: the ticket
    # reaches them whatever the setting (decision 0222).
    wanted = wanted or (
        kind == Kind.CONFIRMATION
        and (instance.source == Source.REGISTRATION or instance.from_status == "waitlisted")
    )
    if not wanted:
        return
    registrant = Registrant.objects.select_related("event").get(pk=instance.registrant_id)
    message_queue(registrant=registrant, kind=kind)


@receiver(waitlist_offer_made, dispatch_uid="mail.waitlist_offer")
def queue_waitlist_offer(
    sender: Any, registrant_id: int, expires_at: datetime.datetime, **kwargs: Any
) -> None:
    """Tell the person their seat is waiting: always sent, whatever the
    event's settings, since an offer nobody hears of only lapses. The link
    is their ticket page, where they take the seat."""
    registrant = Registrant.objects.get(pk=registrant_id)
    waitlist_offer_queue(
        registrant_id=registrant_id,
        expires_at=expires_at,
        confirm_url=absolute(ticket_path(registrant)),
    )


@receiver(registrants_erasing, dispatch_uid="mail.erase")
def scrub_messages(sender: Any, registrant_ids: list[int], **kwargs: Any) -> None:
    """Erase what the log says about the people (address, subject, bodies,
    and the server's last answer, which may quote the address); queued
    messages to them are never sent."""
    rows = Message.objects.filter(registrant_id__in=registrant_ids)
    rows.update(recipient=SCRUBBED, subject=SCRUBBED, body_text="", body_html="", last_error="")
    rows.filter(status=MessageStatus.QUEUED).update(
        status=MessageStatus.FAILED, last_error="The registrant was erased."
    )


@receiver(personal_data_requested, dispatch_uid="mail.export")
def export_messages(sender: Any, registrant: Registrant, **kwargs: Any) -> dict[str, Any]:
    """The messages sent (or tried) to the registrant, with their words."""
    rows = Message.objects.filter(registrant_id=registrant.pk).order_by("id")
    return {
        "messages": [
            {
                "kind": m.kind,
                "recipient": m.recipient,
                "subject": m.subject,
                "body_text": m.body_text,
                "status": m.status,
                "attempts": m.attempts,
                "queued_at": m.created_at.isoformat(),
                "sent_at": m.sent_at.isoformat() if m.sent_at else None,
            }
            for m in rows
        ]
    }
