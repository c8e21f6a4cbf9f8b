"""`column IN (ids)` with the ids as one array parameter on PostgreSQL.

A search whose term many companies contain ("garcia": 667 of the data
set's 20,000) filters the registrants by a list of company ids. As
`IN (%s, %s, ...)` each id went through the ORM's lookup preparation,
SQL compilation and psycopg's parsing of 667 placeholders, about 2.5 ms of
CPU per list page; one `= ANY(%s::bigint[])` costs none of that. The cast
keeps the array of the column's own type: psycopg sends small ints as
smallint[], and PostgreSQL does not hash an IN list compared across types,
so each row would walk the whole list (EXPLAIN ANALYZE of the list's
query for "garcia": 1.4 ms, hashed 0.4; bench/plans/
list_page_status_search_garcia.txt has the query beside the IN list).
SQLite keeps IN.
"""

from __future__ import annotations

from django.db.models import BooleanField, Expression, F
from django.db.models.lookups import In


class IdIn(Expression):
    """`field` is one of `ids` (a non-empty list of ints)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, field: str, ids: list[int]) -> None:
        super().__init__()
        self.source: Expression = F(field)  # type: ignore[assignment]
        self.ids = ids

    def get_source_expressions(self):
        return [self.source]

    def set_source_expressions(self, exprs):
        (self.source,) = exprs

    def as_sql(self, compiler, connection):
        return compiler.compile(In(self.source, self.ids))

    def as_postgresql(self, compiler, connection):
        sql, params = compiler.compile(self.source)
        db_type = self.source.output_field.db_type(connection)
        return f"{sql} = ANY(%s::{db_type}[])", (*params, list(self.ids))
