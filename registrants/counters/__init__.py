"""The event counters: numbers that do not grow with the event.

Database triggers on the registrant and history tables keep the tables of
registrants/counter_models.py in the same transaction as each change,
whoever writes (the ORM, the raw SQL of registrants/sql, COPY, the erasure,
the purge, company merges). `reads` answers the dashboard's numbers from
them; `recount` rebuilds them from the rows (`manage.py recount_counters`).
Decision record 0190.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from . import pg, sqlite


def install(connection: BaseDatabaseWrapper) -> None:
    """(Re)create the triggers, their SQL written from the lifecycle as it
    is now (the statuses that hold a seat). Does not touch the counts."""
    statements = pg.install_sql() if connection.vendor == "postgresql" else sqlite.install_sql()
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def uninstall(connection: BaseDatabaseWrapper) -> None:
    """Drop the triggers (the counts stay, and go stale from then on)."""
    statements = pg.UNINSTALL if connection.vendor == "postgresql" else sqlite.UNINSTALL
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
