"""The registrant list's pages for the API: keyset cursors (registrants/keyset.py)
and an exact count only when asked (`count=true`): counting every match costs
as much as reading them all, on every page, at any size of event."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from registrants import keyset
from registrants.filters import MAX_ID, parse_ordering

from .pagination import RegistrantCursorPagination

COUNT_PARAM = "count"
COUNT_VALUES = {"true": True, "1": True, "false": False, "0": False}
CURSOR_ERROR = "Invalid cursor: use a link from a previous page."


def order_from(raw: str | None) -> keyset.Order:
    """The list's order from `ordering` (validated by StrictOrderingFilter)."""
    parsed = parse_ordering(raw) if raw else None
    if parsed is None:
        return keyset.Order()
    name, descending = parsed
    return keyset.Order(name, descending)


def wants_count(params) -> bool:
    raw = params.get(COUNT_PARAM)
    if raw is None:
        return False
    if raw.strip().lower() not in COUNT_VALUES:
        raise ValidationError({COUNT_PARAM: ["Must be true or false."]})
    return COUNT_VALUES[raw.strip().lower()]


def one_event(params) -> int | None:
    """The event the filters narrowed the list to (RegistrantFilter has
    already refused a bad value with a 400)."""
    raw = params.get("event")
    if raw is None or not raw.strip().isdigit():
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


class RegistrantKeysetPagination(RegistrantCursorPagination):
    """Newest first by default, or by `ordering` with ties by id; the cursor
    is a position in that order, so page 1,000 costs what page 1 does."""

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        params = request.query_params
        size = self.get_page_size(request)
        order = order_from(params.get("ordering"))
        self.count = queryset.count() if wants_count(params) else None
        raw = params.get(self.cursor_query_param)
        try:
            position = keyset.decode(raw, order) if raw else None
        except keyset.BadCursor:
            raise ValidationError({self.cursor_query_param: [CURSOR_ERROR]}) from None
        self.keyset_page = keyset.page(
            queryset,
            order=order,
            size=size,
            position=position,
            event_id=one_event(params),
            search=bool(params.get("search", "").strip()),
        )
        return self.keyset_page.rows

    def _link(self, position: keyset.Position | None) -> str | None:
        if position is None:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), COUNT_PARAM)
        return replace_query_param(url, self.cursor_query_param, keyset.encode(position))

    def get_next_link(self):
        return self._link(self.keyset_page.next)

    def get_previous_link(self):
        return self._link(self.keyset_page.previous)

    def get_paginated_response(self, data):
        body = {"next": self.get_next_link(), "previous": self.get_previous_link()}
        if self.count is not None:
            body["count"] = self.count
        return Response({**body, "results": data})

    def get_paginated_response_schema(self, schema):
        shape = super().get_paginated_response_schema(schema)
        shape["properties"]["count"] = {
            "type": "integer",
            "description": "Every match, exact; only with `count=true`.",
        }
        return shape

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": COUNT_PARAM,
                "required": False,
                "in": "query",
                "description": "true: add the exact number of matches (`count`), at its cost.",
                "schema": {"type": "boolean"},
            },
        ]
