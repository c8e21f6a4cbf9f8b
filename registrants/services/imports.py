"""The bulk import's writes: one transaction, chunked inserts (COPY on PostgreSQL)."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import connection, models, transaction
from django.utils import timezone

from .. import event_options, lifecycle
from ..errors import ApplicationError
from ..models import Company, Event, Registrant, Source, StatusChange, new_check_in_codes
from ..normalization import clean_company_name, normalize_company_name
from ..sql.bulk import IMPORT_HISTORY_COLUMNS
from .common import Actor, _actor_or_none, _lock_event, seats_held


class ImportedRegistrant(NamedTuple):
    """One row of an import, already checked by the importer (imports.validation).

    A named tuple: an import makes 100,000 of them, and a frozen
    dataclass's __init__ costs several times a tuple's."""

    row: int  # the spreadsheet row number, for the report
    name: str
    email: str
    guest_type: str
    company: str = ""  # a display name, or "" for none


@dataclass
class ImportBatchResult:
    created: int
    # Row numbers refused because the event ran out of seats (valid_rows mode).
    over_capacity: list[int] = field(default_factory=list)
    # The job's rows were already committed by an earlier delivery: nothing written.
    already_imported: bool = False


def import_start(*, event_id: int, marker: str) -> tuple[Event, int, int, int]:
    """The first step of every bulk import, in the caller's transaction:
    lock the event, then count the rows an earlier run of this import
    (`marker`) created, the seats taken and the seats free.
    Returns (event, previously imported, taken, free); raises not_found."""
    event = _lock_event(event_id)
    previous = StatusChange.objects.filter(
        event_id=event.pk, source=Source.IMPORT, from_status="", note=marker
    ).count()
    taken = seats_held(event_id=event.pk)
    return event, previous, taken, max(0, event.capacity - taken)


def registrants_import_batch(
    *,
    event_id: int,
    rows: Iterable[ImportedRegistrant] = (),
    chunks: Iterable[list[ImportedRegistrant]] | None = None,
    expected: int | None,
    actor: Actor,
    marker: str,
    all_or_nothing: bool,
    chunk_size: int = 2000,
) -> ImportBatchResult:
    """Create many registrants of one event, each with its creation history
    row (source import, `actor`, note `marker`), in one transaction.

    The bulk twin of registrant_register (same event lock and seat count),
    in chunks (COPY on PostgreSQL). History rows carrying `marker` mean the
    job committed before: nothing is written (already_imported=True). With
    `all_or_nothing`, rows that do not all fit raise event_full; otherwise
    rows beyond the seats are listed in over_capacity. `chunks` streams
    rows in; `expected=None` means their number is not known yet.
    Raises not_found, event_closed, event_full. See docs/decisions/0006.
    """
    with transaction.atomic():
        event, previous, taken, free = import_start(event_id=event_id, marker=marker)
        if previous:
            return ImportBatchResult(created=previous, already_imported=True)
        event_options.refuse_if_closed(event)
        if all_or_nothing and expected is not None and expected > free:
            raise _import_event_full(event, taken, expected)
        insert = _insert_imported_sql if connection.vendor == "postgresql" else _insert_imported
        result = ImportBatchResult(created=0)
        company_ids: dict[str, int] = {}
        who, now = _actor_or_none(actor), timezone.now()
        for chunk in _chunks(rows, chunk_size) if chunks is None else chunks:
            fitting = chunk[: max(0, free - result.created)]
            result.over_capacity.extend(r.row for r in chunk[len(fitting) :])
            if not fitting:
                continue
            _company_ids_for([r.company for r in fitting], company_ids)
            created = insert(
                event.pk,
                fitting,
                company_ids,
                at=now,
                actor_id=who.pk if who else None,
                marker=marker,
            )
            result.created += created
        if all_or_nothing and result.over_capacity:
            # Streamed (expected=None): the rows are counted only now.
            raise _import_event_full(
                event, taken, result.created + len(result.over_capacity), result.over_capacity
            )
    # No per-row signals: 100,000 live messages would swamp the dashboards;
    # their periodic snapshot (docs/decisions/0005) shows the import within 3 s.
    return result


def _import_event_full(
    event: Event, taken: int, expected: int, refused: list[int] | None = None
) -> ApplicationError:
    free = max(0, event.capacity - taken)
    details: dict[str, Any] = {"capacity": event.capacity, "seats_taken": taken, "seats_free": free}
    if refused is not None:
        details["over_capacity"] = refused
    return ApplicationError(
        "event_full",
        f"The event has {free} free seats for {expected} registrants; nothing was imported.",
        details=details,
    )


def _insert_imported(
    event_id: int,
    rows: list[ImportedRegistrant],
    company_ids: dict[str, int],
    *,
    at: datetime.datetime,
    actor_id: int | None,
    marker: str,
) -> int:
    """Insert registrants and their creation rows with bulk_create (any database)."""
    created = Registrant.objects.bulk_create(
        [
            Registrant(
                event_id=event_id,
                name=r.name,
                email=r.email,
                guest_type=r.guest_type,
                company_id=company_ids.get(normalize_company_name(r.company)),
                status=lifecycle.INITIAL_STATUS,
            )
            for r in rows
        ]
    )
    StatusChange.objects.bulk_create(
        [
            StatusChange(
                registrant_id=registrant.pk,
                event_id=event_id,
                from_status="",
                to_status=lifecycle.INITIAL_STATUS,
                at=at,
                actor_id=actor_id,
                source=Source.IMPORT,
                note=marker,
            )
            for registrant in created
        ]
    )
    return len(created)


def _insert_imported_sql(
    event_id: int,
    rows: list[ImportedRegistrant],
    company_ids: dict[str, int],
    *,
    at: datetime.datetime,
    actor_id: int | None,
    marker: str,
) -> int:
    """The same as _insert_imported with COPY (PostgreSQL).

    The ids are taken from the table's own sequence first, so both tables
    can be fed by COPY (which returns nothing): the registrants stream to
    the server while this process is still producing the next rows, and
    the server inserts them, with their indexes, at the same time. Against
    one INSERT ... FROM unnest(arrays) ... RETURNING per 2,000 rows this
    overlaps our CPU with the server's instead of adding them up
    (docs/benchmarks.md, "Import and export"). The binary format costs
    this process a fifth of the text format's CPU per row (psycopg packs
    the values in C instead of escaping text), and the server a little less.
    """
    status = lifecycle.INITIAL_STATUS
    source = Source.IMPORT.value
    with connection.cursor() as cursor:
        # The sequence is looked up once: pg_get_serial_sequence per row
        # costs ten times the nextval itself.
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Registrant._meta.db_table])
        sequence = cursor.fetchone()[0]
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, len(rows)]
        )
        ids = [row[0] for row in cursor.fetchall()]
        # One company lookup per spelling, not per row.
        company_of = {
            name: company_ids.get(normalize_company_name(name))
            for name in {r.company for r in rows}
        }
        with _copy(cursor, Registrant, _REGISTRANT_COLUMNS) as copy:
            codes = new_check_in_codes(len(rows))
            for pk, r, code in zip(ids, rows, codes, strict=True):
                copy.write_row(
                    (
                        pk,
                        event_id,
                        company_of[r.company],
                        r.name,
                        r.email,
                        r.guest_type,
                        status,
                        code,
                        at,
                        at,
                    )
                )
        with _copy(cursor, StatusChange, _HISTORY_COLUMNS) as copy:
            for pk in ids:
                copy.write_row((pk, event_id, "", status, at, actor_id, source, marker))
    return len(ids)


_REGISTRANT_COLUMNS = (
    "id",
    "event_id",
    "company_id",
    "name",
    "email",
    "guest_type",
    "status",
    "check_in_code",
    "created_at",
    "updated_at",
)
_HISTORY_COLUMNS = IMPORT_HISTORY_COLUMNS


@contextlib.contextmanager
def _copy(cursor: Any, model: type[models.Model], columns: tuple[str, ...]) -> Iterator[Any]:
    """A binary COPY ... FROM STDIN into `columns` of the model's table, its
    value types read from the model's fields ("varchar(200)" -> varchar)."""
    fields = {f.column: f for f in model._meta.concrete_fields}
    types = [str(fields[c].db_type(connection)).split("(")[0] for c in columns]
    table = model._meta.db_table
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        yield copy


def _chunks(rows: Iterable[ImportedRegistrant], size: int):
    chunk: list[ImportedRegistrant] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _company_ids_for(names: list[str], known: dict[str, int]) -> None:
    """Fill `known` (normalised name -> id) for these names, creating the
    companies that do not exist yet. The first spelling seen is kept; a
    concurrent creator of the same name wins on the unique index and we
    read its row (ON CONFLICT DO NOTHING, then select)."""
    wanted: dict[str, str] = {}
    for name in dict.fromkeys(names):  # each spelling once, in order
        display = clean_company_name(name)
        key = normalize_company_name(display)
        if key and key not in known:
            wanted.setdefault(key, display)
    if not wanted:
        return
    known.update(
        Company.objects.filter(normalized_name__in=list(wanted)).values_list(
            "normalized_name", "id"
        )
    )
    missing = [key for key in wanted if key not in known]
    if missing:
        Company.objects.bulk_create(
            [Company(name=wanted[key], normalized_name=key) for key in missing],
            ignore_conflicts=True,
        )
        known.update(
            Company.objects.filter(normalized_name__in=missing).values_list("normalized_name", "id")
        )
