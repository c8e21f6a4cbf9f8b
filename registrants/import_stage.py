# ruff: noqa: S608  (table and column names come from the models' _meta, never from input)
"""Imports on SQLite: rows staged outside the write lock, then one short step.

Checked rows go first into a TEMP table of the importing connection
(`ImportStage`), each batch holding the write lock for milliseconds;
`registrants_import_staged` then moves them in one transaction with two
INSERT ... SELECT statements (registrants.sql.bulk). See docs/decisions/0051.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import connection, transaction

from .event_options import refuse_if_closed
from .models import Registrant
from .normalization import normalize_company_name

# The bulk import's own rules, shared rather than copied: the event lock,
# the seat count, the capacity error, the company lookup, the result.
from .services.common import Actor, _actor_or_none
from .services.imports import (
    ImportBatchResult,
    ImportedRegistrant,
    _company_ids_for,
    _import_event_full,
    import_start,
)
from .sql.bulk import move_staged_imports

BATCH_ROWS = 2000
# Filled in by the final step, not staged: the event and the company id.
_JOINED = ("id", "event_id", "company_id")


def _q(name: str | None) -> str:
    return connection.ops.quote_name(str(name))


class ImportStage:
    """The checked rows of one import, parked in a TEMP table of this
    thread's connection until `registrants_import_staged` moves them."""

    def __init__(self, key: str) -> None:
        if not key.isidentifier():
            raise ValueError("the stage's key names a table")
        self.table = f"import_stage_{key}"
        self.count = 0
        self.pending: list[ImportedRegistrant] = []
        self.fields = [f for f in Registrant._meta.concrete_fields if f.column not in _JOINED]
        columns = ", ".join(f"{_q(f.column)}" for f in self.fields)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS temp.{_q(self.table)}")
            cursor.execute(
                f"CREATE TEMP TABLE {_q(self.table)} "
                f"(row INTEGER PRIMARY KEY, company_name TEXT, company_key TEXT, {columns})"
            )

    def add(self, row: ImportedRegistrant) -> None:
        self.pending.append(row)
        self.count += 1
        if len(self.pending) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write the pending rows in one short transaction."""
        if not self.pending:
            return
        values = [self._values(r) for r in self.pending]
        self.pending = []
        marks = ", ".join(["%s"] * (3 + len(self.fields)))
        columns = ", ".join(_q(f.column) for f in self.fields)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO temp.{_q(self.table)} (row, company_name, company_key, {columns})"
                f" VALUES ({marks})",
                values,
            )

    def _values(self, r: ImportedRegistrant) -> list[Any]:
        # A new Registrant is in lifecycle.INITIAL_STATUS (the field's default).
        registrant = Registrant(name=r.name, email=r.email, guest_type=r.guest_type)
        return [
            r.row,
            r.company,
            normalize_company_name(r.company),
            *(f.get_db_prep_save(f.pre_save(registrant, True), connection) for f in self.fields),
        ]

    def row_numbers(self, skip: int = 0) -> list[int]:
        """The staged rows' spreadsheet numbers in file order, after `skip`."""
        self.flush()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT row FROM temp.{_q(self.table)} ORDER BY row LIMIT -1 OFFSET %s", [skip]
            )
            return [number for (number,) in cursor.fetchall()]

    def company_names(self, last_row: int) -> Iterator[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT company_name FROM temp.{_q(self.table)} WHERE row <= %s",
                [last_row],
            )
            yield from (name for (name,) in cursor.fetchall())

    def close(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS temp.{_q(self.table)}")


def registrants_import_staged(
    *,
    event_id: int,
    stage: ImportStage,
    actor: Actor,
    marker: str,
    all_or_nothing: bool,
) -> ImportBatchResult:
    """registrants_import_batch for rows already staged: the same lock, seat
    count, marker check and history rows, in one short transaction.

    The stage must be flushed before the caller's transaction begins: rows
    written inside it would go with its rollback (event_full), and the
    caller reads the stage again to report the refused rows.
    Raises not_found (no such event), event_closed, event_full (all_or_nothing, more
    staged rows than free seats; nothing is written).
    """
    if stage.pending:
        raise RuntimeError("flush the stage before the import transaction")
    with transaction.atomic():
        event, previous, taken, free = import_start(event_id=event_id, marker=marker)
        if previous:
            return ImportBatchResult(created=previous, already_imported=True)
        refuse_if_closed(event)
        if all_or_nothing and stage.count > free:
            raise _import_event_full(event, taken, stage.count)
        numbers = stage.row_numbers()
        fitting = numbers[:free]
        result = ImportBatchResult(created=len(fitting), over_capacity=numbers[free:])
        if fitting:
            company_ids: dict[str, int] = {}
            _company_ids_for(list(stage.company_names(fitting[-1])), company_ids)
            who = _actor_or_none(actor)
            move_staged_imports(
                stage_table=stage.table,
                columns=[str(f.column) for f in stage.fields],
                event_id=event.pk,
                last_row=fitting[-1],
                actor_id=who.pk if who else None,
                marker=marker,
            )
    return result
