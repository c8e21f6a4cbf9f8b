"""A quicker flush after each `transactional_db` test (several hundred of them).

Django empties the database after a transactional test (the `flush`
command), then sends post_migrate, whose receivers recreate the content types
and permissions the flush deleted: about 120 queries, 0.1-0.4 s a test. On
PostgreSQL the flush is one TRUNCATE of every table, which gives each
table, index and TOAST table a new file: about 150 files, another 0.2-0.5 s.
Together that was minutes of the PostgreSQL run. Two changes, the end state
the same:

- The content types and permissions are kept when they are exactly what the
  last post_migrate left (their rows compared, two queries); post_migrate,
  which would only recreate them, is then not sent. If a test changed them,
  they are flushed and recreated as before.
- On PostgreSQL the other tables are emptied with DELETE in the mode
  PostgreSQL has for loading a replica (`session_replication_role =
  replica`): no triggers fire (the history guard refuses deletes, the
  webhook outbox and the counters would write rows; TRUNCATE fires none
  either) and no foreign-key checks run, so the order does not matter.
  That needs a superuser (the throwaway test server's `postgres`); on
  another server, and when a test asks for its sequences reset, the flush
  is Django's TRUNCATE.
"""

from __future__ import annotations

from typing import Any

KEPT_TABLES = ("django_content_type", "auth_permission")
# Only these post_migrate receivers may be skipped: each recreates what the
# kept tables already hold.
_RECREATING_RECEIVERS = {"create_contenttypes", "create_permissions"}

_snapshot: dict[str, Any] = {}  # alias -> the kept tables' rows after post_migrate
_skip_post_migrate: dict[str, bool] = {}
_superuser: dict[str, bool] = {}
_original_emit: list[Any] = []


def install() -> None:
    """Replace the flush command's SQL and signal for this test process."""
    from django.core.management import sql
    from django.core.management.commands import flush

    _original_emit.append(sql.emit_post_migrate_signal)
    flush.sql_flush = _sql_flush  # type: ignore[attr-defined]
    flush.emit_post_migrate_signal = _emit_post_migrate_signal  # type: ignore[attr-defined]


def _sql_flush(
    style: Any, connection: Any, reset_sequences: bool = True, allow_cascade: bool = False
) -> list[str]:
    alias = connection.alias
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    keep = (
        not reset_sequences
        and alias in _snapshot
        and _only_recreating_receivers()
        and _kept_rows(connection) == _snapshot[alias]
    )
    _skip_post_migrate[alias] = keep
    if keep:
        tables = [table for table in tables if table not in KEPT_TABLES]
    if connection.vendor == "postgresql" and not reset_sequences and _is_superuser(connection):
        # SET LOCAL: for the flush's own transaction (execute_sql_flush runs
        # the list in one); the next test's queries fire triggers again.
        return [
            "SET LOCAL session_replication_role = replica",
            *(f"DELETE FROM {connection.ops.quote_name(table)}" for table in tables),  # noqa: S608
        ]
    return connection.ops.sql_flush(
        style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
    )


def _emit_post_migrate_signal(verbosity: int, interactive: bool, db: str, **kwargs: Any) -> None:
    if _skip_post_migrate.pop(db, False):
        return
    _original_emit[0](verbosity, interactive, db, **kwargs)
    from django.db import connections

    _snapshot[db] = _kept_rows(connections[db])


def _kept_rows(connection: Any) -> tuple[list[tuple], list[tuple]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, app_label, model FROM django_content_type ORDER BY id")
        content_types = cursor.fetchall()
        cursor.execute(
            "SELECT id, name, content_type_id, codename FROM auth_permission ORDER BY id"
        )
        return content_types, cursor.fetchall()


def _only_recreating_receivers() -> bool:
    from django.apps import apps
    from django.db.models.signals import post_migrate

    names = set()
    for app_config in apps.get_app_configs():  # the senders post_migrate is sent with
        sync, asynchronous = post_migrate._live_receivers(app_config)  # noqa: SLF001
        names.update(getattr(r, "__name__", repr(r)) for r in (*sync, *asynchronous))
    return names <= _RECREATING_RECEIVERS


def _is_superuser(connection: Any) -> bool:
    key = f"{connection.settings_dict['HOST']}:{connection.settings_dict['PORT']}"
    if key not in _superuser:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('is_superuser') = 'on'")
            _superuser[key] = bool(cursor.fetchone()[0])
    return _superuser[key]
