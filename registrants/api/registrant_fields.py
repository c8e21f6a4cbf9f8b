"""The registrant serializers' side of registrants.fields: the same rules
and the same cleaning as registration and the import, worded for the API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from registrants.fields import check_registrant_fields, clean_name, field_errors

_CHECKED = ("name", "email", "guest_type", "company")


class NameField(serializers.CharField):
    """A person's name, collapsed as it is stored before its length is checked."""

    def to_internal_value(self, data: Any) -> str:
        return clean_name(super().to_internal_value(data))


def checked_registrant_fields(attrs: dict[str, Any]) -> dict[str, Any]:
    """`attrs` with the registrant's fields as they will be stored, or a
    ValidationError naming each field with a problem (a refused character
    alone, as the services report it)."""
    given = {key: attrs[key] for key in _CHECKED if attrs.get(key) is not None}
    fields, problems = check_registrant_fields(**given)
    errors = field_errors(problems)
    if errors:
        raise serializers.ValidationError(errors)
    return {**attrs, **{key: getattr(fields, key) for key in given}}
