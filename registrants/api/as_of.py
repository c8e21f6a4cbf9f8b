"""The `at` query parameter of the event stats: a past moment, read like
the list's date-time filters (ISO 8601, converted to UTC; bad -> 400)."""

from __future__ import annotations

import datetime

from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

from ..filters import UTCDateTimeField

AT_PARAMETER = OpenApiParameter(
    name="at",
    type=OpenApiTypes.DATETIME,
    location=OpenApiParameter.QUERY,
    required=False,
    description=(
        "The figures as they stood at this moment (ISO 8601 with an offset or Z), "
        "rebuilt from the status history. Absent or not in the past: now."
    ),
)


def parse_at(query_params) -> datetime.datetime | None:
    """The `at` parameter in UTC, None when absent or blank; a value that is
    not a date-time, or lies outside the years 1-9999 in UTC, is a 400
    validation_error on `at`."""
    try:
        return UTCDateTimeField(required=False).clean(query_params.get("at"))
    except forms.ValidationError as exc:
        raise ValidationError({"at": exc.messages}) from None
