"""E-mail to registrants: the per-message log, the events' templates and
settings, and the reminder jobs.

A Message row is written in the same transaction as its cause (a
registration, a cancellation, an organiser's reminder) and sent after that
commits (mail/dispatch.py); its status is the log: queued until a send
succeeds (sent), is refused for good (bounced) or runs out of attempts
(failed). docs/decisions/0220-mail-log-written-with-its-cause.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from registrants.models import Event, Registrant


class Kind(models.TextChoices):
    CONFIRMATION = "confirmation", "Confirmation with the ticket"
    CANCELLATION = "cancellation", "Cancellation"
    REMINDER = "reminder", "Reminder"
    WAITLIST_OFFER = "waitlist_offer", "Waitlist offer"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    BOUNCED = "bounced", "Bounced"


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ReminderJob(models.Model):
    """An organiser's reminder to a filtered list: the filter is kept and
    the messages are written by a job when the list is large. Re-running it
    writes no second message to anyone (unique per job and registrant)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="reminder_jobs")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    # The registrant list's query string (the same filters as the list).
    filters = models.JSONField(default=dict)
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    total = models.PositiveIntegerField(default=0)
    queued = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Reminder job #{self.pk} ({self.state})"


class Message(models.Model):
    """One e-mail to one registrant, and what became of it."""

    registrant = models.ForeignKey(Registrant, on_delete=models.CASCADE, related_name="messages")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    reminder_job = models.ForeignKey(
        ReminderJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField()
    # Attach the ticket (QR image inline, PDF) when sending.
    with_ticket = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # A sender holds a queued message until then (a claim that expires, so
    # a dead sender's message is taken over); a retry waits for next_attempt_at.
    lease_until = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["registrant", "id"], name="mail_message_registrant"),
            # The sweep's scan: only queued rows are in it.
            models.Index(
                fields=["next_attempt_at"],
                name="mail_message_queued",
                condition=Q(status="queued"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MessageStatus.values), name="mail_message_status_valid"
            ),
            models.UniqueConstraint(
                fields=["reminder_job", "registrant"],
                condition=Q(reminder_job__isnull=False),
                name="mail_message_one_per_reminder_job",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"


class MailTemplate(models.Model):
    """An organiser's wording of one kind of message for one event; an event
    without one uses the default (mail/wording.py)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="mail_templates")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "kind"], name="mail_template_one_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} wording of event #{self.event_id}"


class MailSettings(models.Model):
    """Which automatic messages an event sends. An event without a row sends
    none: mailing people is opted into per event (README, "E-mail")."""

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="mail_settings")
    confirmations = models.BooleanField(
        default=False, help_text="Send the ticket when someone registers (not by import)."
    )
    cancellations = models.BooleanField(
        default=False, help_text="Tell people when their registration is cancelled."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "mail settings"

    def __str__(self) -> str:
        return f"Mail settings of event #{self.event_id}"
