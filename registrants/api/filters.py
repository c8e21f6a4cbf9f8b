"""The API's ordering backend over the registrant list's ordering names
(registrants/filters.py). A bad ordering is a 400."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from registrants.filters import ORDERING_ALIASES, ORDERING_ERROR, parse_ordering


class StrictOrderingFilter(OrderingFilter):
    """One ordering field, from a fixed list; anything else is a 400."""

    ordering_fields = list(ORDERING_ALIASES)

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if raw is None:
            return None
        parsed = parse_ordering(raw)
        if parsed is None:
            raise ValidationError({"ordering": [ORDERING_ERROR]})
        name, desc = parsed
        field = ORDERING_ALIASES[name]
        # A unique tie-breaker, ascending whatever the direction: rows that
        # share the value then keep one order across requests (PostgreSQL
        # returns ties in any order), and rows added later (higher ids) land
        # after a cursor's position among them, so a walk sees each row once.
        return (("-" if desc else "") + field, "id")

    def get_schema_operation_parameters(self, view):
        choices = [*ORDERING_ALIASES, *[f"-{k}" for k in ORDERING_ALIASES]]
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Sort by one field; prefix with '-' for descending.",
                "schema": {"type": "string", "enum": choices},
            }
        ]
