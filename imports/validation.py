"""Checking one imported row: every problem, each with its column.

The rules are registrants.fields', the ones registration applies; an
import reports every problem of a row instead of stopping at the first,
accepts guest types by label and in any case ("VIP", "Speaker"), takes a
blank guest type for an attendee, and flattens a cell's line breaks and
tabs (a spreadsheet's wrapping) into spaces.
"""

from __future__ import annotations

from registrants.fields import DEFAULT_GUEST_TYPE, check_registrant_fields
from registrants.services import ImportedRegistrant

from .parsing import RawRow

Problem = tuple[str, str]  # (column, message)


def _flat(value: str) -> str:
    return " ".join(value.split())


def validate_row(raw: RawRow) -> tuple[ImportedRegistrant | None, list[Problem]]:
    """The row ready to insert, or None and its problems."""
    values = raw.values
    if "\x00" in "".join(values.values()):
        return None, [
            (column, "Contains a NUL character; remove it.")
            for column, value in values.items()
            if "\x00" in value
        ]
    fields, problems = check_registrant_fields(
        name=_flat(values.get("name", "")),
        email=values.get("email", ""),
        guest_type=values.get("guest_type", "").strip() or DEFAULT_GUEST_TYPE,
        company=_flat(values.get("company", "")),
        guest_type_labels=True,
    )
    if problems:
        return None, [(problem.field, problem.report) for problem in problems]
    assert fields.name is not None and fields.email is not None  # all four were given
    assert fields.guest_type is not None and fields.company is not None
    return ImportedRegistrant(
        raw.number, fields.name, fields.email, fields.guest_type, fields.company
    ), []
