"""What the registrant table's layout must keep for status changes to stay
cheap (migration 0008)."""

from __future__ import annotations

import pytest
from django.db import connection

from registrants.models import Registrant

pytestmark = pytest.mark.django_db


def test_no_index_of_the_registrant_table_holds_status():
    """An index with `status` in it (key, included or in a partial index's
    condition) makes every status change write every index of the table,
    on PostgreSQL no longer a HOT update."""
    table = Registrant._meta.db_table
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    with_status = sorted(
        name
        for name, info in constraints.items()
        if info["index"] and "status" in (info["columns"] or [])
    )
    assert with_status == []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexrelid::regclass::text FROM pg_index"
                " WHERE indrelid = %s::regclass"
                " AND (pg_get_expr(indpred, indrelid) LIKE %s"
                "      OR pg_get_expr(indexprs, indrelid) LIKE %s)",
                [table, "%status%", "%status%"],
            )
            assert cursor.fetchall() == []


@pytest.mark.postgres
def test_registrant_pages_keep_room_for_updates_in_place():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE oid = %s::regclass",
            [Registrant._meta.db_table],
        )
        (options,) = cursor.fetchone()
    assert "fillfactor=80" in (options or [])
