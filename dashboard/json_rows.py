# ruff: noqa: S608  (the column names are the queryset's own, never from input)
"""A small list read inside its parent row's query, as one JSON array.

A page that shows one row and a few short lists about it (the registrant
page: its history, answers and e-mails) would pay one round trip and one
ORM compilation per list; a correlated subquery per list, aggregated to
JSON, brings them back in the parent's row. Works on PostgreSQL and SQLite.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import JSONField, QuerySet, Subquery
from django.utils.dateparse import parse_datetime


class JsonRows(Subquery):
    """The rows of `queryset` (a `.values(...)` queryset, correlated with
    OuterRef) as a JSON array of objects keyed by the values' names; an
    empty array when there are none. The array's order is not guaranteed:
    sort the rows by a key you read."""

    def __init__(self, queryset: QuerySet, **extra: Any) -> None:
        # The keys are the inner SELECT's column names: a plain field's
        # column (which must be its name) or an annotation's alias.
        meta = queryset.model._meta
        for name in queryset.query.values_select:
            if meta.get_field(name).column != name:
                raise ValueError(f"{name!r}: name it with an annotation (its column differs)")
        self.names = list(queryset.query.values_select) + list(queryset.query.annotation_select)
        super().__init__(queryset, output_field=JSONField(), **extra)

    def as_sql(self, compiler, connection, template=None, **extra_context):
        sql, params = super().as_sql(compiler, connection, template, **extra_context)
        quote = connection.ops.quote_name
        pairs = ", ".join(f"'{name}', r.{quote(name)}" for name in self.names)
        if connection.vendor == "postgresql":
            wrapped = f"(SELECT COALESCE(jsonb_agg(jsonb_build_object({pairs})), '[]'::jsonb) FROM {sql} r)"
        else:
            wrapped = f"(SELECT json_group_array(json_object({pairs})) FROM {sql} r)"
        return wrapped, params


def json_datetime(value: str | None) -> datetime.datetime | None:
    """A datetime read from a JSON row: PostgreSQL writes its offset, SQLite
    the naive UTC text Django stored."""
    if value is None:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValueError(f"not a datetime: {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
