"""What other apps' events mean for mail: a registration or a cancellation
queues its message (in the same transaction; which one: rules.py), an
erasure scrubs the log, a subject access export lists the messages."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from registrants.models import Registrant, StatusChange
from registrants.signals import (
    history_rows_created,
    personal_data_requested,
    registrants_erasing,
    waitlist_offer_made,
)

from . import bulk_mail
from .compose import absolute
from .models import MailSettings, Message, MessageStatus
from .rules import kind_for, wanted
from .services import message_queue, waitlist_offer_queue
from .tickets import ticket_path

SCRUBBED = "(erased)"


@receiver(post_save, sender=StatusChange, dispatch_uid="mail.status_change")
def queue_on_status_change(
    sender: Any, instance: StatusChange, created: bool, **kwargs: Any
) -> None:
    """Sent by StatusChange.objects.create, inside the writer's transaction:
    the message row commits or rolls back with the change. The SQL fast
    paths (scans) send no signal: a scan mails nobody."""
    if not created:
        return
    kind = kind_for(instance)
    if kind is None:
        return
    chosen = MailSettings.objects.filter(event_id=instance.event_id).first()
    if wanted(instance, kind, chosen):
        registrant = Registrant.objects.select_related("event").get(pk=instance.registrant_id)
        message_queue(registrant=registrant, kind=kind)


@receiver(history_rows_created, dispatch_uid="mail.bulk_status_changes")
def queue_on_bulk_status_changes(sender: Any, changes: list[StatusChange], **kwargs: Any) -> None:
    """A bulk action's rows (one INSERT, no post_save), in its transaction:
    the same messages as the changes made one by one, read and written in
    a fixed number of queries per batch (bulk_mail.py)."""
    bulk_mail.queue_for_changes(changes)


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
