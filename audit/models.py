"""The audit log: organiser actions that touch personal data.

A row says who did what, when, on which event and registrant, and under
which request id; never the personal data itself (an edit names the fields
it changed, not their values). Event and registrant are plain ids, not
foreign keys: a row outlives the registrant's erasure or purge, and then
names the person by id only. See docs/decisions/0180.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Action(models.TextChoices):
    REGISTRANT_EDITED = "registrant_edited", "Registrant edited"
    REGISTRANT_ERASED = "registrant_erased", "Registrant erased"
    LIST_EXPORTED = "list_exported", "List exported"
    PERSONAL_DATA_EXPORTED = "personal_data_exported", "Personal data exported"
    REGISTRANT_PURGED = "registrant_purged", "Registrant purged"
    # The public registration page (signup app): its settings and questions.
    REGISTRATION_PAGE_CHANGED = "registration_page_changed", "Registration page changed"
    QUESTION_ADDED = "question_added", "Registration question added"
    QUESTION_CHANGED = "question_changed", "Registration question changed"
    QUESTION_REMOVED = "question_removed", "Registration question removed"
    # Where registrants' data is sent: adding, changing or removing a webhook.
    WEBHOOK_CHANGED = "webhook_changed", "Webhook endpoint changed"
    # An e-mail reminder to a selection of an event's registrants: one per run.
    REMINDER_SENT = "reminder_sent", "Reminder sent"


class AuditEntry(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # SET_NULL: deleting a user keeps what they did, under the name they had.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150)  # "system" for the retention job
    action = models.CharField(max_length=32, choices=Action.choices)
    event_id = models.BigIntegerField(null=True, blank=True)
    registrant_id = models.BigIntegerField(null=True, blank=True)
    # Field names, a filter, a format, a count: never a name, email or company.
    details = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["event_id", "-id"], name="audit_event_idx"),
            models.Index(fields=["registrant_id", "-id"], name="audit_registrant_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"
