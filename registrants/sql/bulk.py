# ruff: noqa: S608  (table and column names come from the models, never from input)
"""Many registrants at once, each with its history: the SQLite import's final
step, the PostgreSQL import's COPY columns, and the seeders' bulk inserts."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.utils import timezone

from registrants import lifecycle, search_index
from registrants.models import Registrant, Source, StatusChange

from .history import HISTORY, HISTORY_COLUMNS, REGISTRANTS, history_insert

# The columns the PostgreSQL import's COPY writes (registrants.services): the
# creation row of an imported registrant has no device scan time.
IMPORT_HISTORY_COLUMNS = tuple(c for c in HISTORY_COLUMNS if c != "scanned_at")


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def move_staged_imports(
    *,
    stage_table: str,
    columns: Sequence[str],
    event_id: int,
    last_row: int,
    actor_id: int | None,
    marker: str,
) -> None:
    """The SQLite import's final step (registrants.import_stage): the staged
    rows up to `last_row` as registrants of the event, then their creation
    history rows, each in one INSERT ... SELECT. `columns` are the
    registrant columns the stage holds (status among them, in the initial
    status). The caller holds the write lock (IMMEDIATE transaction), so
    every id above the largest one before the insert is this import's."""
    company_table = _q(Registrant._meta.get_field("company").related_model._meta.db_table)
    staged = ", ".join(f"s.{_q(c)}" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {_q(REGISTRANTS)}")
        (before,) = cursor.fetchone()
        with search_index.bulk_insert(cursor, above_id=before):
            cursor.execute(
                f"INSERT INTO {_q(REGISTRANTS)} (event_id, company_id,"
                f" {', '.join(map(_q, columns))})"
                f" SELECT %s, c.id, {staged} FROM temp.{_q(stage_table)} s"
                f" LEFT JOIN {company_table} c ON c.normalized_name = s.company_key"
                " WHERE s.row <= %s ORDER BY s.row",
                [event_id, last_row],
            )
        row, params = _creation_row(event_id, actor_id=actor_id, marker=marker)
        cursor.execute(
            history_insert(
                row, f"FROM {_q(REGISTRANTS)} WHERE id > %s AND event_id = %s ORDER BY id"
            ),
            [*params, before, event_id],
        )


def _creation_row(event_id: int, *, actor_id: int | None, marker: str) -> tuple[dict, list[Any]]:
    """The SQL expressions and parameters of an imported registrant's
    creation row (the registrant's id comes from the SELECT)."""
    template = StatusChange(
        event_id=event_id,
        from_status="",
        to_status=lifecycle.INITIAL_STATUS,
        at=timezone.now(),
        actor_id=actor_id,
        source=Source.IMPORT,
        note=marker,
    )
    fields = {f.column: f for f in StatusChange._meta.concrete_fields}
    given = [c for c in HISTORY_COLUMNS if c != "registrant_id"]
    params = [
        fields[c].get_db_prep_save(fields[c].pre_save(template, True), connection) for c in given
    ]
    return {"registrant_id": "id", **dict.fromkeys(given, "%s")}, params


# One step of a seeded history: (from status, to status, at, source).
SeedStep = tuple[str, str, datetime.datetime, str]


def insert_seeded(
    registrants: list[Registrant], chains: Sequence[Sequence[SeedStep]], *, batch_size: int
) -> int:
    """Demo and benchmark data: insert `registrants`, each in the last status
    of its chain, with the chain as its history (oldest first, from the
    creation row "" -> registered). The chains must follow the lifecycle;
    nothing else may write a status this way. Returns the history rows written."""
    for registrant, chain in zip(registrants, chains, strict=True):
        registrant.status = chain[-1][1]
    created = Registrant.objects.bulk_create(registrants, batch_size=batch_size)
    _ensure_pks(created)
    changes = [
        StatusChange(
            registrant_id=registrant.pk,
            event_id=registrant.event_id,
            from_status=frm,
            to_status=to,
            at=at,
            actor=None,
            source=source,
        )
        for registrant, chain in zip(created, chains, strict=True)
        for frm, to, at, source in chain
    ]
    StatusChange.objects.bulk_create(changes, batch_size=batch_size)
    return len(changes)


def _ensure_pks(registrants: list[Registrant]) -> None:
    """bulk_create sets pks where the database returns them (PostgreSQL,
    SQLite >= 3.35); elsewhere read them back by the unique code."""
    if all(r.pk for r in registrants):
        return
    ids = dict(
        Registrant.objects.filter(
            check_in_code__in=[r.check_in_code for r in registrants]
        ).values_list("check_in_code", "pk")
    )
    for r in registrants:
        r.pk = ids[r.check_in_code]


def delete_demo_history(event_id: int) -> None:
    """Every history row of one of the demo's own events (seed_demo --reset),
    the one place history rows may go: the whole event goes with them."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {HISTORY} WHERE event_id = %s", [event_id])


def delete_purged_history(registrant_id: int) -> int:
    """Every history row of one erased registrant, for the operators' hard
    purge (registrants/purge.py): the other place history rows may go. The
    rows deleted."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {HISTORY} WHERE registrant_id = %s", [registrant_id])
        return cursor.rowcount
