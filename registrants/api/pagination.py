"""Cursor pagination with a bounded page size that says so when exceeded."""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils import timezone
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

from ..filters import fits_in_utc

MAX_PAGE_SIZE = 200


class RegistrantCursorPagination(CursorPagination):
    """Newest first by default; stable while rows are added (a cursor is a
    position, not an offset, so walking every page sees each row once)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = "-id"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except (TypeError, ValueError):
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {"page_size": [f"Must be a whole number from 1 to {self.max_page_size}."]}
            )
        return size

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        """A cursor is client-controlled: its position must fit the ordering
        field, or a forged cursor would reach the database as a bad value
        (a 500). Anything that does not fit is an invalid cursor: a 400, as
        for any other bad query parameter (DRF's own answer is a 404)."""
        try:
            return self._checked_cursor(request)
        except NotFound:
            raise ValidationError(
                {self.cursor_query_param: ["Invalid cursor: use a link from a previous page."]}
            ) from None

    def _checked_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        # PostgreSQL refuses NUL in text. (The stub types position as int;
        # DRF decodes it from the query string as text.)
        if "\x00" in cursor.position:  # type: ignore[operator]
            raise NotFound(self.invalid_cursor_message)
        name = self.ordering[0].lstrip("-")
        try:
            field = self._model._meta.get_field(name)
        except FieldDoesNotExist:
            return cursor  # an annotation (the company name): any string will do
        try:
            value = field.to_python(cursor.position)
            if isinstance(field, models.IntegerField) and not -(2**63) <= value < 2**63:
                raise DjangoValidationError("out of range")
            if isinstance(field, models.DateTimeField):
                if value is None:
                    raise DjangoValidationError("no date")
                if timezone.is_naive(value):
                    value = timezone.make_aware(value)
                if not fits_in_utc(value):
                    raise DjangoValidationError("out of range")
        except (DjangoValidationError, TypeError, ValueError, OverflowError):
            raise NotFound(self.invalid_cursor_message) from None
        return cursor

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_size_query_param:
                param["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return params


class SmallCursorPagination(RegistrantCursorPagination):
    ordering = "id"
