"""The registrant list's filters, search and ordering: what
"status=a,b&search=x" means for the API, the pages, the desk, badges and the
export alike. Bad values are form errors (the API answers them with 400).
The API's ordering backend is registrants/api/filters.py."""

from __future__ import annotations

import datetime
import re

from django import forms
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

from registrants import history_as_of
from registrants.lifecycle import Status
from registrants.models import GuestType, Registrant
from registrants.search import registrant_search

MAX_ID = 2**63 - 1


class BoundedIdFilter(filters.NumberFilter):
    """An id that fits the database's bigint: anything else is a 400, not a 500."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


def fits_in_utc(value: datetime.datetime) -> bool:
    """Whether an aware datetime can be converted to UTC, as the database
    adapter does: 9999-12-31T23:00-05:00 and 0001-01-01T00:30+05:00 cannot
    (OverflowError, which was a 500)."""
    try:
        value.astimezone(datetime.UTC)
    except OverflowError:
        return False
    return True


OUT_OF_RANGE = "Out of range: the time must lie between the years 1 and 9999 in UTC."


class UTCDateTimeField(filters.IsoDateTimeFilter.field_class):
    """An ISO 8601 date-time that the database can store (see fits_in_utc)."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        if not fits_in_utc(value):
            raise forms.ValidationError(OUT_OF_RANGE, code="out_of_range")
        # In UTC before the database sees it: Python accepts offsets up to
        # 23:59, PostgreSQL only up to 15:59 ("+18:48" was a 500).
        return value.astimezone(datetime.UTC)


class UTCDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


class MultipleChoiceCSVField(forms.MultipleChoiceField):
    """Accepts `status=a&status=b` and `status=a,b` alike."""

    def to_python(self, value):
        values = super().to_python(value)
        return [part.strip() for item in values for part in item.split(",") if part.strip()]


class MultipleChoiceCSVFilter(filters.MultipleChoiceFilter):
    field_class = MultipleChoiceCSVField

    def __init__(self, *args, **kwargs) -> None:
        # django-filter makes a multiple choice DISTINCT, for filters across
        # a to-many join. These filter the registrant's own columns, and
        # DISTINCT made the database sort every match before the first page
        # (0.2 s of a 0.25 s page at 1,000,000 registrants, bench/scale.py).
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


ANSWER_FORMAT = "Use answer=<question id>:<answer>, e.g. answer=12:Vegan."
_ANSWER = re.compile(r"([0-9]{1,18}):(.*)", re.DOTALL)
MAX_ANSWER_FILTER = 1000


class AnswerFilterField(forms.Field):
    """`answer=12:Vegan` (repeatable): a list of (question id, answer)."""

    widget = forms.MultipleHiddenInput  # reads every value of the parameter

    def to_python(self, value):
        pairs = []
        for item in value or []:
            found = _ANSWER.fullmatch(str(item))
            if found is None or len(found.group(2)) > MAX_ANSWER_FILTER:
                raise forms.ValidationError(ANSWER_FORMAT, code="invalid")
            if int(found.group(1)) > MAX_ID or "\x00" in found.group(2):
                raise forms.ValidationError(ANSWER_FORMAT, code="invalid")
            pairs.append((int(found.group(1)), " ".join(found.group(2).split())))
        return pairs

    def validate(self, value):
        """Optional: no values is no filter."""


# Repeated in the query (`answer=1:a&answer=2:b`): an exploded array.
@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "pattern": "^[0-9]{1,18}:", "maxLength": 1019},
        "description": "`<question id>:<answer>` (repeatable; all must hold); case is ignored.",
    }
)
class AnswerFilter(filters.Filter):
    field_class = AnswerFilterField


def in_event(queryset, event_id: int):
    """One event's rows, as the range `event_id BETWEEN e AND e`: with `=`,
    PostgreSQL drops the event from the list's order and may walk the
    primary key past other events' rows (registrants/keyset.py)."""
    return queryset.filter(event_id__gte=event_id, event_id__lte=event_id)


class RegistrantFilter(filters.FilterSet):
    event = BoundedIdFilter(method="filter_event")
    status = MultipleChoiceCSVFilter(choices=Status.choices)
    guest_type = MultipleChoiceCSVFilter(choices=GuestType.choices)
    company = BoundedIdFilter(field_name="company_id")
    search = filters.CharFilter(method="filter_search", max_length=200)
    created_after = UTCDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCDateTimeFilter(field_name="created_at", lookup_expr="lt")
    # The list as of a past moment, from the history (registrants/history_as_of.py).
    status_at = MultipleChoiceCSVFilter(
        choices=Status.choices,
        method="filter_status_at",
        help_text="Who had one of these statuses at `at` (now without it), from the history.",
    )
    # The registration page's questions (signup app): the answer equals the
    # value, case ignored; yes/no answers are "yes" or "no". Several: all hold.
    answer = AnswerFilter(
        method="filter_answer",
        help_text="`<question id>:<answer>` (repeatable; all must hold); case is ignored.",
    )
    at = UTCDateTimeFilter(
        method="filter_at",
        help_text="A past moment: with `status_at`, the statuses then; alone, who existed then.",
    )

    class Meta:
        model = Registrant
        fields = ["event", "status", "guest_type", "company", "created_after", "created_before"]

    def filter_event(self, queryset, name, value):
        return in_event(queryset, value)

    def filter_status_at(self, queryset, name, value):
        """Registrants whose status at `at` (now without it) was one of these."""
        return history_as_of.with_status_at(queryset, value, self.form.cleaned_data.get("at"))

    def filter_at(self, queryset, name, value):
        """Alone: the registrants that existed at that moment."""
        if self.form.cleaned_data.get("status_at"):
            return queryset  # filter_status_at reads it
        return history_as_of.existing_at(queryset, value)

    def filter_answer(self, queryset, name, value):
        """Registrants whose answer to each question equals the value. The
        answers are the signup app's rows, reached by their reverse relation
        (`answers`): the domain names them without importing that app. One
        answer per registrant and question, so the joins add no duplicates."""
        for question_id, text in value:
            queryset = queryset.filter(
                answers__question_id=question_id, answers__value__iexact=text
            )
        return queryset

    def filter_search(self, queryset, name, value):
        """Name, email or company, ignoring accents and case; never the
        check-in code (a code is a door key)."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(registrant_search(value))


# Public ordering names -> the queryset's fields. The company name is
# annotated (see RegistrantViewSet.get_queryset) because cursor pagination
# reads the ordering value off each row.
ORDERING_ALIASES = {
    "name": "name",
    "email": "email",
    "company": "company_name",
    "status": "status",
    "created_at": "created_at",
}


ORDERING_ERROR = f"Order by one of: {', '.join(ORDERING_ALIASES)} (prefix with '-' for descending)."


def parse_ordering(raw: str) -> tuple[str, bool] | None:
    """(public name, descending) for "name" or "-name"; None for anything
    else ("--name", "name,email", "-", unknown names)."""
    term = raw.strip()
    desc = term.startswith("-")
    name = term[1:] if desc else term
    return (name, desc) if name in ORDERING_ALIASES else None
