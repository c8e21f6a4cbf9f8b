"""An event's public registration page, its questions and the answers.

Answers are a registrant's personal data: they reference the registrant with
CASCADE (the operators' purge removes them) and the erasure deletes them
(signup/receivers.py).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from registrants.models import Event, Registrant

MAX_LABEL = 200
MAX_ANSWER = 1000
MAX_CHOICES = 50
MAX_CHOICE = 100


class RegistrationPage(models.Model):
    """Whether an event takes registrations from the public page, and when."""

    event = models.OneToOneField(
        Event, on_delete=models.CASCADE, primary_key=True, related_name="registration_page"
    )
    enabled = models.BooleanField(default=False)
    # Stored in UTC; entered and shown in the event's time zone. Null: no limit.
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    # The guest types a registrant may pick; empty: everyone is an attendee
    # and the page asks nothing.
    guest_types = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True)
                | Q(closes_at__isnull=True)
                | Q(opens_at__lt=models.F("closes_at")),
                name="registrationpage_opens_before_closes",
            ),
        ]

    def __str__(self) -> str:
        return f"registration page of event {self.event_id}"


class Question(models.Model):
    """One extra question of an event's registration (and import, export)."""

    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        CHOICE = "choice", "Choice"
        YES_NO = "yes_no", "Yes/no"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="questions")
    label = models.CharField(max_length=MAX_LABEL)
    # The label folded as import headers are (signup/questions.py): unique per
    # event, so that an import column names one question at most.
    label_key = models.CharField(max_length=MAX_LABEL, editable=False)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # The options of a choice question, in display order.
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "label_key"], name="question_event_label"),
            models.CheckConstraint(
                condition=Q(kind__in=["text", "choice", "yes_no"]), name="question_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Answer(models.Model):
    """A registrant's answer to one question (yes/no stored as "yes" or "no")."""

    registrant = models.ForeignKey(
        Registrant, on_delete=models.CASCADE, related_name="answers", db_index=False
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    value = models.CharField(max_length=MAX_ANSWER)

    class Meta:
        ordering = ["question__position", "question_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["registrant", "question"], name="answer_one_per_question"
            ),
        ]
        indexes = [models.Index(fields=["question", "value"], name="answer_question_value")]

    def __str__(self) -> str:
        return f"answer to {self.question_id}"


class Submission(models.Model):
    """A public form's one-time nonce and the registration it made: a
    double-click or a resubmit of the same form finds it and gets the first
    result back (signup/services.py)."""

    nonce = models.CharField(max_length=64)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    registrant = models.ForeignKey(Registrant, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["nonce"], name="submission_nonce_unique")]

    def __str__(self) -> str:
        return f"submission {self.pk}"
