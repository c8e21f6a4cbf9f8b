"""The forms of an event's registration page settings and its questions.
They only parse; signup.services decide and refuse. Times are typed in the
event's time zone (the page activates it: dashboard/event_time.py)."""

from __future__ import annotations

from django import forms

from registrants.errors import ApplicationError
from registrants.models import GuestType
from signup.models import MAX_LABEL, Question

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def _local_datetime(label: str, help_text: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        required=False,
        label=label,
        help_text=help_text,
        input_formats=[LOCAL_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
    )


class _ServiceErrors:
    def add_service_error(self, exc: ApplicationError) -> None:
        """Show a service's refusal next to the field it is about."""
        form: forms.Form = self  # type: ignore[assignment]
        if not exc.fields:
            form.add_error(None, exc.message)
        for name, problems in exc.fields.items():
            for problem in problems:
                form.add_error(name if name in form.fields else None, problem)


class RegistrationPageForm(_ServiceErrors, forms.Form):
    enabled = forms.BooleanField(
        required=False,
        label="Public registration page",
        help_text="Anyone with the link may register (no login) while it is open.",
    )
    opens_at = _local_datetime("Opens at", "In the event's time zone. Empty: open now.")
    closes_at = _local_datetime(
        "Closes at", "In the event's time zone. Empty: until the event closes."
    )
    guest_types = forms.MultipleChoiceField(
        required=False,
        label="Guest types people may choose",
        choices=GuestType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="None or one: everyone registers as that type (attendee if none) "
        "and the page does not ask.",
    )


class QuestionForm(_ServiceErrors, forms.Form):
    label = forms.CharField(max_length=MAX_LABEL, help_text="E.g. “Dietary needs”.")
    kind = forms.ChoiceField(choices=Question.Kind.choices, label="Answer")
    choices = forms.CharField(
        required=False,
        label="Options",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For a choice: one option per line.",
    )
    required = forms.BooleanField(required=False)

    def service_values(self) -> dict:
        data = dict(self.cleaned_data)
        data["choices"] = [line for line in data["choices"].splitlines() if line.strip()]
        return data
