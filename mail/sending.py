"""One attempt to send one queued message, and what the SMTP answer means.

A sender first claims the message with a conditional UPDATE (a lease that
expires), so the same message handed to two senders (a task delivered
twice, the sweep racing a retry) goes out once. A 5xx refusal of the
recipient or the message is final (bounced, no retry); a 4xx, a refused
or dropped connection, or a timeout is retried with backoff until
MAIL_MAX_ATTEMPTS, then failed. A sender that dies after the server took
the message but before recording it sends it again when its lease lapses:
at least once, never lost.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F, Q
from django.utils import timezone

from badges import selectors as badge_selectors
from badges.render import qr_png, render_badges

from .models import Message, MessageStatus

logger = logging.getLogger(__name__)

QR_CONTENT_ID = "ticket-qr"
ERROR_MAX = 1000


@dataclass(frozen=True)
class Attempt:
    """What one attempt did: the message's status after it, and when a
    retry is due (seconds) if it is to be retried."""

    status: str
    retry_in: float | None = None
    claimed: bool = True


def backoff(attempts: int) -> float:
    """Seconds before the next attempt after `attempts` tries: doubling from
    MAIL_RETRY_SECONDS, at most an hour."""
    return min(settings.MAIL_RETRY_SECONDS * 2 ** max(attempts - 1, 0), 3600.0)


def attempt(message_id: int) -> Attempt:
    """Try to send message `message_id` once, if it is queued and nobody
    else holds it; record the outcome on its row."""
    if not _claim(message_id):
        return Attempt(status="", claimed=False)
    message = Message.objects.select_related(
        "registrant", "registrant__event", "registrant__company"
    ).get(pk=message_id)
    if message.registrant.erased_at is not None:
        return _finish(message, MessageStatus.FAILED, "The registrant was erased.")
    if message.attempts > settings.MAIL_MAX_ATTEMPTS:
        # Every earlier sender stopped mid-send (its lease lapsed): give up
        # rather than let the sweep hand it over for ever.
        return _finish(
            message, MessageStatus.FAILED, message.last_error or "Every sender stopped mid-send."
        )
    try:
        email = build_email(message)
        with get_connection(fail_silently=False) as connection:
            connection.send_messages([email])
    except Exception as exc:
        permanent, error = classify(exc)
        if permanent:
            return _finish(message, MessageStatus.BOUNCED, error)
        if message.attempts >= settings.MAIL_MAX_ATTEMPTS:
            return _finish(message, MessageStatus.FAILED, error)
        wait = backoff(message.attempts)
        Message.objects.filter(pk=message.pk).update(
            last_error=error[:ERROR_MAX],
            lease_until=None,
            next_attempt_at=timezone.now() + timedelta(seconds=wait),
            updated_at=timezone.now(),
        )
        logger.info(
            "message %s: attempt %s failed, retry in %ss", message.pk, message.attempts, wait
        )
        return Attempt(status=MessageStatus.QUEUED, retry_in=wait)
    return _finish(message, MessageStatus.SENT, "")


def _claim(message_id: int) -> bool:
    """Take a queued message nobody holds, counting the attempt: one
    conditional UPDATE, so of two senders exactly one gets it."""
    now = timezone.now()
    return bool(
        Message.objects.filter(pk=message_id, status=MessageStatus.QUEUED)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(
            lease_until=now + timedelta(seconds=settings.MAIL_LEASE_SECONDS),
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    )


def _finish(message: Message, status: str, error: str) -> Attempt:
    now = timezone.now()
    Message.objects.filter(pk=message.pk).update(
        status=status,
        last_error=error[:ERROR_MAX],
        lease_until=None,
        next_attempt_at=None,
        sent_at=now if status == MessageStatus.SENT else None,
        updated_at=now,
    )
    if status != MessageStatus.SENT:
        logger.warning("message %s %s after %s attempts", message.pk, status, message.attempts)
    return Attempt(status=status)


def classify(exc: Exception) -> tuple[bool, str]:
    """(permanent?, a short description) of a sending error. Permanent: the
    server refused the recipient or the message with a 5xx code."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in exc.recipients.values()]
        answers = "; ".join(f"{code} {_text_of(text)}" for code, text in exc.recipients.values())
        return bool(codes) and all(code >= 500 for code in codes), f"recipient refused: {answers}"
    if isinstance(exc, smtplib.SMTPDataError):
        return exc.smtp_code >= 500, f"message refused: {exc.smtp_code} {_text_of(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        # The sender, the greeting or the login refused: the deployment's
        # configuration, not this recipient; retried, then failed.
        return False, f"{type(exc).__name__}: {exc.smtp_code} {_text_of(exc.smtp_error)}"
    return False, f"{type(exc).__name__}: {exc}"


def _text_of(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def build_email(message: Message) -> EmailMultiAlternatives:
    """The e-mail of a message: text and HTML, and for a ticket the QR code
    inline and the badge as a PDF attachment, drawn from the current code."""
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers={"X-Registrant-Dashboard-Message": str(message.pk)},
    )
    email.attach_alternative(message.body_html, "text/html")
    if message.with_ticket:
        registrant = message.registrant
        image = MIMEImage(qr_png(registrant.check_in_code), "png")
        image.add_header("Content-ID", f"<{QR_CONTENT_ID}>")
        image.add_header("Content-Disposition", "inline", filename="ticket-qr.png")
        email.attach(image)
        layout = badge_selectors.layout_for(registrant.event)
        pdf = render_badges([badge_selectors.badge_for(registrant)], layout)
        email.attach(f"ticket-{registrant.pk}.pdf", pdf, "application/pdf")
    return email
