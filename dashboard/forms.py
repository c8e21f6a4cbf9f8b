"""Forms of the pages. They only parse input; the services decide."""

from __future__ import annotations

from django import forms

from registrants.lifecycle import ScanMode, Status
from registrants.models import GuestType
from registrants.permissions import BULK_ACTIONS

from . import widgets

MAX_BULK = 500


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(choices=Status.choices)
    note = forms.CharField(max_length=500, required=False, strip=True)


class RegistrantEditForm(forms.Form):
    # Widgets written in Python (dashboard/widgets.py): the same HTML, a
    # quarter of the registrant page's rendering less.
    name = forms.CharField(max_length=200, widget=widgets.TextInput)
    email = forms.EmailField(max_length=254, widget=widgets.EmailInput)
    company = forms.CharField(
        max_length=200,
        required=False,
        help_text="Matched to an existing company after normalisation; leave empty for none.",
        widget=widgets.TextInput,
    )
    guest_type = forms.ChoiceField(
        choices=GuestType.choices, label="Guest type", widget=widgets.Select
    )

    # Service field names -> form fields, for errors the service reports.
    SERVICE_FIELDS = {"company_name": "company", "company_id": "company"}

    def add_service_errors(self, fields: dict[str, list[str]], message: str) -> None:
        if not fields:
            self.add_error(None, message)
            return
        for name, problems in fields.items():
            target = self.SERVICE_FIELDS.get(name, name)
            for problem in problems:
                self.add_error(target if target in self.fields else None, problem)


class AnyIdsField(forms.TypedMultipleChoiceField):
    """Ids of registrants: any whole number is a candidate; the view keeps
    only this event's."""

    def valid_value(self, value) -> bool:
        return str(value).isdigit() and len(str(value)) <= 18


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=[(k, v[2]) for k, v in BULK_ACTIONS.items()])
    ids = AnyIdsField(coerce=int, choices=[], required=False)
    # "Select all N matching": the list's filters (a query string) stand for
    # the ids; `expected` is the N the user confirmed.
    all_matching = forms.BooleanField(required=False)
    filters = forms.CharField(required=False, max_length=4000)
    expected = forms.IntegerField(required=False, min_value=0)
    confirm = forms.BooleanField(required=False)

    def clean_ids(self):
        ids = list(dict.fromkeys(self.cleaned_data["ids"]))
        if len(ids) > MAX_BULK:
            raise forms.ValidationError(
                f"Select at most {MAX_BULK} registrants one by one, or use “Select all matching”."
            )
        return ids

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if not data.get("all_matching") and not data.get("ids") and not self.errors:
            raise forms.ValidationError("Select at least one registrant first.")
        return data


class DeskScanForm(forms.Form):
    mode = forms.ChoiceField(choices=ScanMode.choices)
    code = forms.CharField(max_length=200, required=False, strip=True)
    registrant = forms.CharField(required=False, max_length=18)

    def clean_registrant(self):
        value = self.cleaned_data["registrant"]
        if value and not value.isdigit():
            raise forms.ValidationError("Pick a registrant from the list.")
        return int(value) if value else None

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if not data.get("code") and not data.get("registrant"):
            raise forms.ValidationError("Scan a code or type a name first.")
        return data
