"""The forms of the staff pages (dashboard.views.staff)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from registrants.models import Event
from registrants.roles import CHECKIN_STAFF, ORGANISER, VIEWER

ROLE_CHOICES = [
    (CHECKIN_STAFF, "Check-in staff"),
    (VIEWER, "Viewer"),
    (ORGANISER, "Organiser"),
]


class _EventsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} ({obj.date:%d %b %Y})"


def _events_field() -> _EventsField:
    return _EventsField(
        queryset=Event.objects.order_by("-date", "name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event. Organisers are never limited.",
    )


class StaffAccessForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES)
    events = _events_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"] = _events_field()

    def event_ids(self) -> list[int]:
        if self.cleaned_data["role"] == ORGANISER:
            return []
        return [e.pk for e in self.cleaned_data["events"]]


class StaffCreateForm(StaffAccessForm):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)

    field_order = ["username", "first_name", "last_name", "email", "role", "events"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        get_user_model().username_validator(username)
        return username


class DeviceForm(forms.Form):
    name = forms.CharField(max_length=100, label="Device name")
