"""Exporting the filtered registrant list as CSV or XLSX, streamed.

Rows come from QuerySet.iterator(chunk_size=2000); CSV is encoded as read,
XLSX written by rustpy-xlsxwriter to a temporary file then streamed; with
the history, a zip of two CSVs or a second sheet. Formula-like text cells
are neutralised (see neutralise). See docs/decisions/0006 and 0070.
"""

from __future__ import annotations

import csv
import itertools
import os
import re
import tempfile
import zipfile
from collections.abc import AsyncIterator, Iterator
from typing import IO, Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.db.models import Case, F, Func, QuerySet, TextField, Value, When
from django.http import FileResponse, StreamingHttpResponse

from registrants.models import Registrant, StatusChange

CHUNK = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STREAM_BYTES = 64 * 1024

REGISTRANT_HEADER = [
    "id",
    "name",
    "email",
    "company",
    "guest_type",
    "status",
    "created_at",
    "updated_at",
]
HISTORY_HEADER = [
    "registrant_id",
    "registrant_name",
    "from_status",
    "to_status",
    "at",
    "actor",
    "source",
    "note",
]


_FORMULA_FIRST = frozenset(FORMULA_STARTS)
# A formula start right after a separator that a spreadsheet may split the
# cell on (comma, semicolon, tab, CR, LF: "x;=1+1" becomes "x" and "=1+1"),
# or after the quote that opens a quoted field there. A leading space keeps
# a cell text, as it does in Excel.
_FORMULA_AFTER_SEPARATOR = re.compile(
    '[,;\t\r\n]"?[' + re.escape("".join(FORMULA_STARTS)) + "]"
).search


def neutralise(value: Any) -> Any:
    """A cell a spreadsheet will show as text, never evaluate, however it
    splits it: OWASP's single quote before text that starts with a formula
    character or holds one right after a separator. Every text cell of the
    CSV and XLSX exports goes through here."""
    if not isinstance(value, str):
        return value
    # The `in` tests first: most cells hold no separator, and five of them
    # cost less than one regex search (100,000 rows are 400,000 cells).
    if value[:1] in _FORMULA_FIRST or (
        ("," in value or ";" in value or "\t" in value or "\r" in value or "\n" in value)
        and _FORMULA_AFTER_SEPARATOR(value)
    ):
        return "'" + value
    return value


def _iso(value: Any) -> str:
    return value.isoformat() if value is not None else ""


class IsoFormatUTC(Func):
    """A timestamptz as datetime.isoformat() writes it in UTC, computed by
    PostgreSQL: 'YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00', the fraction only when
    it is not zero, exactly as the Python path (_iso) gives it.

    Reading 200,000 timestamps through psycopg and Django's time-zone
    loader, then formatting them, was most of an export's CPU: about 1.9 s
    of 2.3 s for 100,000 registrants (docs/benchmarks.md)."""

    output_field = TextField()
    template = (
        "(to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
        "CASE WHEN mod(date_part('microseconds', %(expressions)s)::bigint, 1000000) = 0 "
        "THEN '' ELSE to_char(%(expressions)s AT TIME ZONE 'UTC', '.US') END || '+00:00')"
    )


def _timestamps(queryset: QuerySet, *names: str) -> tuple[QuerySet, list[str], bool]:
    """The queryset and the field names to read `names` as: ISO text from
    PostgreSQL itself, or the datetimes (other databases; format with _iso).
    The third value says whether they still need formatting."""
    if connections[queryset.db].vendor != "postgresql":
        return queryset, list(names), True
    texts = {f"{name.replace('__', '_')}_iso": IsoFormatUTC(name) for name in names}
    return queryset.annotate(**texts), list(texts), False


def registrant_rows(queryset: QuerySet[Registrant], *, with_codes: bool) -> Iterator[list[Any]]:
    """The header, then one list per registrant (text cells neutralised)."""
    header = REGISTRANT_HEADER + (["check_in_code"] if with_codes else [])
    yield header
    queryset, stamps, format_them = _timestamps(queryset, "created_at", "updated_at")
    if with_codes:
        # An erased registrant's code is never shown (registrants/erasure.py).
        queryset = queryset.annotate(
            code_shown=Case(
                When(erased_at__isnull=True, then=F("check_in_code")), default=Value("")
            )
        )
    fields = ["id", "name", "email", "company__name", "guest_type", "status", *stamps] + (
        ["code_shown"] if with_codes else []
    )
    for values in queryset.values_list(*fields).iterator(chunk_size=CHUNK):
        pk, name, email, company, guest_type, status, created, updated, *code = values
        yield [
            pk,
            neutralise(name),
            neutralise(email),
            neutralise(company or ""),
            guest_type,
            status,
            _iso(created) if format_them else created,
            _iso(updated) if format_them else updated,
            *map(neutralise, code),
        ]


def history_rows(queryset: QuerySet[Registrant]) -> Iterator[list[Any]]:
    """The status history of the registrants in `queryset`, oldest first per person."""
    yield HISTORY_HEADER
    changes, (at_field,), format_them = _timestamps(
        StatusChange.objects.filter(registrant__in=queryset.order_by().values("pk")).order_by(
            "registrant_id", "id"
        ),
        "at",
    )
    changes = changes.values_list(
        "registrant_id",
        "registrant__name",
        "from_status",
        "to_status",
        at_field,
        "actor__username",
        "source",
        "note",
    )
    for rid, name, frm, to, at, actor, source, note in changes.iterator(chunk_size=CHUNK):
        yield [
            rid,
            neutralise(name),
            frm,
            to,
            _iso(at) if format_them else at,
            neutralise(actor or ""),
            source,
            neutralise(note),
        ]


class _Echo:
    """A file-like that hands back what csv.writer writes to it."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(rows: Iterator[list[Any]], *, bom: bool = True) -> Iterator[bytes]:
    """CSV bytes, about STREAM_BYTES at a time. The UTF-8 BOM makes Excel
    read accents right."""
    writer = csv.writer(_Echo())
    buffer: list[str] = ["\ufeff"] if bom else []
    size = 0
    for row in rows:
        line = writer.writerow(row)
        buffer.append(line)
        size += len(line)
        if size >= STREAM_BYTES:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


def xlsx_records(rows: Iterator[list[Any]]) -> Iterator[dict[str, Any]]:
    """`rows` (header first, as registrant_rows and history_rows give them)
    as the dicts the XLSX writer takes, one at a time.

    The writer makes its header row from the first dict's keys and reads each
    dict's values by position, not by key, so every dict is the header zipped
    with one row, in the header's order. With no row at all it still gets
    the header: a dict of blanks, which it does not write as a row.
    """
    header = next(rows)
    empty = True
    for row in rows:
        empty = False
        yield dict(zip(header, row, strict=True))
    if empty:
        yield dict.fromkeys(header)


def write_xlsx(sheets: list[tuple[str, Iterator[list[Any]]]]) -> IO[bytes]:
    """A workbook with one sheet per (title, rows), in a rewound temporary file.

    Strings are written as text cells, ints as numbers, None and "" blank;
    the rows are consumed when save() runs. The writer is given a path, not
    a file object (into one it builds the whole zip in memory); the path is
    unlinked once written. Why a compiled writer: docs/decisions/0006.
    """
    from rustpy_xlsxwriter import FastExcel

    fd, path = tempfile.mkstemp(prefix="export-", suffix=".xlsx")
    try:
        workbook = FastExcel(path)
        for title, rows in sheets:
            workbook.sheet(title, xlsx_records(rows))
        workbook.save()
        out = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    finally:
        os.unlink(path)
    return out


def write_zip(files: list[tuple[str, Iterator[list[Any]]]]) -> IO[bytes]:
    """A zip of CSV files, one per (name, rows), in a rewound temporary file."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, closed by it
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, rows in files:
            with archive.open(name, "w", force_zip64=True) as member:
                for chunk in csv_chunks(rows):
                    member.write(chunk)
    out.seek(0)
    return out


# --- Responses that stream under WSGI and ASGI alike ----------------------------------
#
# Django's ASGI handler turns a synchronous iterator into a list before
# sending it (it warns about it), which would hold the whole export in memory.
# Under ASGI we hand it an asynchronous iterator that pulls one chunk at a
# time in the request's sync thread (thread_sensitive: same DB connection).


async def _async_chunks(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    pull = sync_to_async(lambda: next(chunks, None), thread_sensitive=True)
    while (chunk := await pull()) is not None:
        yield chunk


def _file_chunks(fileobj: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := fileobj.read(STREAM_BYTES):
            yield chunk
    finally:
        fileobj.close()


def _attachment(filename: str) -> str:
    return f'attachment; filename="{filename}"'


def stream_response(request: Any, chunks: Iterator[bytes], *, filename: str, content_type: str):
    """A streamed download of `chunks`. The first chunk is made here, before
    any header is sent: it runs the query, so a value the database refuses
    is an error answer (400, 503) instead of a 200 whose body stops short."""
    first = next(chunks, None)
    chunks = itertools.chain([] if first is None else [first], chunks)
    content = _async_chunks(chunks) if isinstance(request, ASGIRequest) else chunks
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = _attachment(filename)
    return response


def file_response(request: Any, fileobj: IO[bytes], *, filename: str, content_type: str):
    if not isinstance(request, ASGIRequest):
        return FileResponse(
            fileobj, as_attachment=True, filename=filename, content_type=content_type
        )
    fileobj.seek(0, 2)
    length = fileobj.tell()
    fileobj.seek(0)
    response = StreamingHttpResponse(
        _async_chunks(_file_chunks(fileobj)), content_type=content_type
    )
    response["Content-Length"] = str(length)
    response["Content-Disposition"] = _attachment(filename)
    return response
