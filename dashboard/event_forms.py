"""The form of the events pages (new and edit). It only parses input; the
services (event_create, event_update) decide and refuse."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms

from registrants.api.serializers import MAX_CAPACITY
from registrants.errors import ApplicationError
from registrants.event_options import (
    MAX_OFFER_HOURS,
    MAX_RETENTION_DAYS,
    default_door_modes,
    default_time_zone,
)
from registrants.lifecycle import ScanMode

# Refusals of the services that belong to one field of the form.
CODE_FIELDS = {"capacity_below_seats_taken": "capacity", "event_full": "capacity"}


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone the system knows, by name (read once per process)."""
    names = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
    return [(name, name.replace("_", " ")) for name in names]


class EventForm(forms.Form):
    name = forms.CharField(max_length=200)
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    capacity = forms.IntegerField(min_value=1, max_value=MAX_CAPACITY, help_text="Seats.")
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=time_zone_choices,
        help_text="The event's times (check-ins, history) are shown in it.",
    )
    door_modes = forms.MultipleChoiceField(
        label="Scan modes at the desk",
        choices=ScanMode.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one scan mode for the desk."},
    )
    closed = forms.BooleanField(
        required=False,
        label="Closed",
        help_text="A closed event takes no new registrations; check-in still works.",
    )
    retention_days = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_RETENTION_DAYS,
        label="Erase registrants after (days)",
        help_text="Days after the event's date when its registrants' personal data is erased "
        "(the figures stay). Empty: keep them.",
    )
    waitlist_offer_hours = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_OFFER_HOURS,
        label="Waitlist offer open for (hours)",
        help_text="How long a waitlisted person has to take a freed seat before it goes to the "
        "next. Empty: unchanged (48 for a new event).",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("time_zone", default_time_zone())
        kwargs["initial"].setdefault("door_modes", default_door_modes())
        super().__init__(*args, **kwargs)

    def add_service_error(self, exc: ApplicationError) -> None:
        """Show a service's refusal next to the field it is about."""
        if exc.fields:
            for name, problems in exc.fields.items():
                for problem in problems:
                    self.add_error(name if name in self.fields else None, problem)
            return
        self.add_error(CODE_FIELDS.get(exc.code), exc.message)
