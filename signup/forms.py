"""The public registration form: the registrant's fields, the event's
questions, and the bot checks (a honeypot and a signed issue time).

The form only parses; signup.services.public_register decides and refuses.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing

from registrants.models import GuestType

from .models import MAX_ANSWER, Question, RegistrationPage
from .questions import answer_field

FORM_SALT = "signup.form"  # a namespace for the signer, not a secret
# A form older than this is refused (reload the page for a fresh one).
FORM_MAX_AGE = 24 * 3600
HONEYPOT = "website"
CHOICE_BLANK = [("", "—")]
YES_NO_CHOICES = [("yes", "Yes"), ("no", "No")]


def now() -> float:
    """The clock of the form tokens (tests move it instead of sleeping)."""
    return time.time()


def issue_token(event_id: int) -> str:
    """A signed token for a new form: the event, a fresh nonce, the time."""
    return signing.dumps(
        {"e": event_id, "n": secrets.token_urlsafe(24), "t": int(now())}, salt=FORM_SALT
    )


class BotSuspected(Exception):
    """The form was filled by a program, or sent too fast, or is stale."""


def read_token(token: str, event_id: int) -> str:
    """The nonce of a form token issued for this event, at least
    PUBLIC_REGISTRATION_MIN_SECONDS and at most FORM_MAX_AGE ago."""
    try:
        data = signing.loads(token, salt=FORM_SALT)
    except signing.BadSignature:
        raise BotSuspected("The form is not one this site served; reload the page.") from None
    if not isinstance(data, dict) or data.get("e") != event_id or not data.get("n"):
        raise BotSuspected("The form belongs to another event; reload the page.")
    age = now() - float(data.get("t", 0))
    if age < settings.PUBLIC_REGISTRATION_MIN_SECONDS:
        raise BotSuspected("The form was sent too quickly; wait a moment and send it again.")
    if age > FORM_MAX_AGE:
        raise BotSuspected("The form has expired; it was reloaded, send it again.")
    return str(data["n"])


def _question_field(question: Question) -> forms.Field:
    common: dict[str, Any] = {"label": question.label, "required": question.required}
    if question.kind == Question.Kind.CHOICE:
        options = [(o, o) for o in question.choices]
        return forms.ChoiceField(choices=CHOICE_BLANK + options, **common)
    if question.kind == Question.Kind.YES_NO:
        return forms.ChoiceField(
            choices=YES_NO_CHOICES if question.required else [("", "No answer"), *YES_NO_CHOICES],
            widget=forms.RadioSelect,
            **common,
        )
    return forms.CharField(max_length=MAX_ANSWER, **common)


class RegistrationForm(forms.Form):
    """Name, email, company, guest type (when offered), the questions."""

    name = forms.CharField(max_length=200, label="Full name")
    email = forms.EmailField(max_length=254, label="Email")
    company = forms.CharField(
        max_length=200,
        required=False,
        label="Company",
        widget=forms.TextInput(
            attrs={"list": "company-suggestions", "autocomplete": "organization"}
        ),
    )
    # The honeypot: hidden from people (CSS and aria-hidden), filled by bots.
    website = forms.CharField(
        required=False,
        label="Leave this empty",
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    form_token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, page: RegistrationPage, questions: list[Question], **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        offered = page.guest_types or []
        if len(offered) > 1:
            labels = dict(GuestType.choices)
            self.fields["guest_type"] = forms.ChoiceField(
                label="I am coming as", choices=[(g, labels[g]) for g in offered]
            )
        self.default_guest_type = offered[0] if offered else GuestType.ATTENDEE
        for question in questions:
            self.fields[answer_field(question.pk)] = _question_field(question)

    def visible_fields(self):
        return [f for f in super().visible_fields() if f.name != HONEYPOT]

    def answers(self) -> dict[int, Any]:
        """question id -> the raw answer, for the service to check."""
        return {q.pk: self.cleaned_data.get(answer_field(q.pk)) for q in self.questions}

    def add_service_error(self, fields: dict[str, list[str]], message: str) -> None:
        """Show a service's refusal next to the fields it names."""
        if not fields:
            self.add_error(None, message)
        for name, problems in fields.items():
            target = name if name in self.fields else None
            if name == "company_name":
                target = "company"
            for problem in problems:
                self.add_error(target, problem)
