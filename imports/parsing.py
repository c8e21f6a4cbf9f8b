"""Reading registrant spreadsheets: CSV and XLSX, streamed row by row.

`open_table(path)` learns the format, encoding, delimiter and header; its
`Table.rows()` yields one `RawRow` at a time, numbered as a spreadsheet
shows them (header = row 1). A file that cannot be read raises
`ImportFileError` for the organiser, never a crash (docs/decisions/0052).
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from defusedxml.common import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from . import limits

# Our columns and the headers that name them, compared after `_header_key`
# (case-folded, "_" and "-" read as spaces, whitespace collapsed).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "attendee name"),
    "email": ("email", "e mail", "email address", "e mail address"),
    "company": ("company", "organisation", "organization", "company name"),
    "guest_type": ("guest type", "type", "ticket type"),
}
REQUIRED = ("name", "email")
DELIMITERS = (",", ";", "\t")
SAMPLE_BYTES = 64 * 1024
XLSX_MAGIC = b"PK\x03\x04"


class ImportFileError(Exception):
    """The file as a whole cannot be imported; `message` says why and how to fix it."""

    def __init__(self, message: str, *, row: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.row = row

    @classmethod
    def from_limit(cls, exc: limits.LimitExceeded) -> ImportFileError:
        return cls(exc.message, row=exc.row)


@dataclass(frozen=True)
class RawRow:
    """One data row: its spreadsheet row number and our columns' raw text."""

    number: int
    values: dict[str, str]


def _header_key(text: object) -> str:
    cleaned = str(text or "").replace("\ufeff", "").replace("_", " ").replace("-", " ")
    return " ".join(cleaned.split()).casefold()


_ALIASES = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}


def _latin1_for_undefined(error: UnicodeError) -> tuple[str, int]:
    # cp1252 leaves five bytes undefined; read those as Latin-1 so that any
    # byte sequence decodes (the "Latin-1 fallback").
    if not isinstance(error, UnicodeDecodeError):  # registered for decoding only
        raise error
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("registrants_latin1", _latin1_for_undefined)


@dataclass
class Table:
    """An opened file: its format, and where each of our columns sits."""

    path: Path
    kind: str  # "csv" or "xlsx"
    columns: dict[str, int]  # our column -> position in the row
    encoding: str = ""
    delimiter: str = ","
    decode_errors: str = "strict"
    ignored: list[str] = field(default_factory=list)  # headers we do not use
    # Those headers by their key (_header_key) -> position, first one each:
    # an event's questions claim theirs (imports/answer_import.py).
    unknown: dict[str, int] = field(default_factory=dict)

    def rows(self) -> Iterator[RawRow]:
        """Data rows in file order, blank rows skipped (their numbers too).

        Raises ImportFileError when the file has a header but no data rows.
        """
        seen = False
        columns = list(self.columns.items())
        last = limits.max_rows() + 1  # blank rows count: they cost as much to read
        if self.kind == "csv":
            # CSV cells are always text: the same as _cell, without its type
            # checks (a third of the time of checking a 100,000-row file).
            for number, record in self._csv_records():
                if number > last:
                    raise ImportFileError.from_limit(limits.too_many_rows())
                if not "".join(record).strip():
                    continue
                seen = True
                n = len(record)
                yield RawRow(
                    number, {col: record[pos].strip() if pos < n else "" for col, pos in columns}
                )
        else:
            for number, cells in self._xlsx_records():
                if number > last:
                    raise ImportFileError.from_limit(limits.too_many_rows())
                if not any(str(c).strip() for c in cells if c is not None):
                    continue
                seen = True
                yield RawRow(number, {col: _cell(cells, pos) for col, pos in columns})
        if not seen:
            raise ImportFileError("The file has a header row but no registrants below it.")

    def _csv_records(self) -> Iterator[tuple[int, list[str]]]:
        with open(self.path, encoding=self.encoding, errors=self.decode_errors, newline="") as f:
            reader = csv_reader(f, self.delimiter)
            number, widest = 1, limits.max_columns()
            try:
                _set_field_limit()
                next(reader, None)  # the header
                for number, record in enumerate(reader, start=2):  # noqa: B007 - read in except
                    if len(record) > widest:
                        raise ImportFileError.from_limit(limits.too_many_columns(number))
                    yield number, record
            except csv.Error as exc:
                raise _csv_error(exc, number + 1) from None

    def _xlsx_records(self) -> Iterator[tuple[int, list[object]]]:
        # check_workbook ran when the file was opened (open_table).
        workbook = _load_workbook(self.path)
        try:
            # max_col: openpyxl pads every row to the widest one it is told of.
            rows = workbook.worksheets[0].iter_rows(values_only=True, max_col=limits.max_columns())
            next(rows, None)
            for index, record in enumerate(rows, start=2):
                yield index, list(record)
        except ImportFileError:
            raise
        except Exception as exc:  # whatever openpyxl meets in a broken sheet
            raise _xlsx_error(exc) from None
        finally:
            workbook.close()


def _cell(cells: list, position: int) -> str:
    if position >= len(cells) or cells[position] is None:
        return ""
    value = cells[position]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def open_table(path: str | Path) -> Table:
    """Sniff the file at `path` and map its header. Raises ImportFileError."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(SAMPLE_BYTES)
    except FileNotFoundError:
        # Retrying cannot bring it back (a worker that does not share
        # IMPORT_UPLOAD_DIR, a file removed by hand): fail the job now.
        raise ImportFileError(
            "The uploaded file is no longer stored where the import runs (IMPORT_UPLOAD_DIR);"
            " nothing was imported. Upload it again."
        ) from None
    if not head.strip():
        raise ImportFileError("The file is empty: upload a CSV or XLSX file with a header row.")
    if head.startswith(XLSX_MAGIC):
        return _open_xlsx(path)
    return _open_csv(path, head)


def csv_reader(f: Any, delimiter: str) -> Any:
    """csv.reader over the open file `f`, reading no line longer than a full
    row may be (IMPORT_MAX_COLUMNS cells of IMPORT_MAX_CELL_CHARS, quoted):
    the csv module would split a 50 MB line of commas into 50 million cells
    before the column limit could be checked. Raises ImportFileError."""
    return csv.reader(_bounded_lines(f), delimiter=delimiter)


def _bounded_lines(f: Any) -> Iterator[str]:
    longest = limits.max_columns() * (limits.max_cell_chars() + 3)
    number = 0
    while line := f.readline(longest + 1):
        number += 1
        if len(line) > longest:
            raise ImportFileError(
                f"Line {number:,} of the file is longer than {longest:,} characters (at most"
                f" {limits.max_columns():,} columns of {limits.max_cell_chars():,} characters);"
                " it is not a list of registrants."
            )
        yield line


def _set_field_limit() -> None:
    # Process-wide, and set before each read so that the setting applies.
    csv.field_size_limit(limits.max_cell_chars())


def _csv_error(exc: csv.Error, row: int) -> ImportFileError:
    if "field limit" in str(exc):
        limit = limits.cell_too_long(row)
        return ImportFileError(
            f"{limit.message} If no cell is that long, look for an unclosed quote on that row"
            " or above it.",
            row=row,
        )
    return ImportFileError(
        f"row {row}: the file could not be read as CSV ({exc}). Check for an unclosed quote.",
        row=row,
    )


# --- CSV ------------------------------------------------------------------------


def detect_encoding(path: Path, head: bytes) -> str:
    """UTF-8 (with or without BOM) when every byte of the file decodes as
    UTF-8; otherwise Windows-1252 read with a Latin-1 fallback. Reads the file
    in chunks, so a large file costs time, not memory."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(256 * 1024):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header into the most columns (comma on a tie)."""
    best, best_count = ",", 1
    for delimiter in DELIMITERS:
        try:
            count = len(next(csv.reader([header_line], delimiter=delimiter), []))
        except csv.Error:
            continue  # the header is read properly (and its error reported) later
        if count > best_count:
            best, best_count = delimiter, count
    return best


def _open_csv(path: Path, head: bytes) -> Table:
    encoding = detect_encoding(path, head)
    errors = "registrants_latin1" if encoding == "cp1252" else "strict"
    # The sample may end inside a multi-byte character: ignore that tail.
    text = head.decode(encoding, errors="ignore" if encoding.startswith("utf") else errors)
    header_line = next((line for line in io.StringIO(text, newline=None) if line.strip()), "")
    delimiter = sniff_delimiter(header_line.rstrip("\r\n"))
    with open(path, encoding=encoding, errors=errors, newline="") as f:
        try:
            _set_field_limit()
            header: list[str] = next(csv_reader(f, delimiter), [])
        except csv.Error as exc:
            raise _csv_error(exc, 1) from None
    if len(header) > limits.max_columns():
        raise ImportFileError.from_limit(limits.too_many_columns(1))
    table = Table(path, "csv", {}, encoding=encoding, delimiter=delimiter, decode_errors=errors)
    _map_header(table, header)
    return table


# --- XLSX -----------------------------------------------------------------------


def _xlsx_error(exc: BaseException) -> ImportFileError:
    """What a person can do with the error a reader raised."""
    if isinstance(exc, limits.LimitExceeded):
        return ImportFileError.from_limit(exc)
    if isinstance(exc, zipfile.BadZipFile):
        why = f"it is not a complete zip archive ({exc})"
    elif isinstance(exc, DTDForbidden):
        why = "its XML declares a DTD, which spreadsheet programs never write"
    elif isinstance(exc, EntitiesForbidden | ExternalReferenceForbidden):
        why = "its XML declares entities or external references, which spreadsheet programs never write"
    else:
        why = f"{exc}" if str(exc) else type(exc).__name__
    return ImportFileError(
        f"The file is not a valid XLSX workbook: {why[:300]}. Save it again as .xlsx from a "
        "spreadsheet program, or export it as CSV."
    )


def _load_workbook(path: Path):
    import openpyxl

    try:
        # openpyxl parses with defusedxml when it is installed (it is a
        # dependency): no entity expansion, even in the parts scanned only once.
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zip, XML, or openpyxl's own reading errors
        raise _xlsx_error(exc) from None


def _open_xlsx(path: Path) -> Table:
    try:
        limits.check_workbook(path)
    except Exception as exc:
        raise _xlsx_error(exc) from None
    workbook = _load_workbook(path)
    try:
        if not workbook.worksheets:
            raise ImportFileError("The spreadsheet has no sheets.")
        first = next(
            workbook.worksheets[0].iter_rows(values_only=True, max_col=limits.max_columns()), None
        )
    except ImportFileError:
        raise
    except Exception as exc:
        raise _xlsx_error(exc) from None
    finally:
        workbook.close()
    if first is None or not any(c is not None and str(c).strip() for c in first):
        raise ImportFileError("The file is empty: the first sheet has no header row.")
    table = Table(path, "xlsx", {})
    _map_header(table, ["" if c is None else str(c) for c in first])
    return table


# --- The header -----------------------------------------------------------------


def _map_header(table: Table, header: list[str]) -> None:
    """Find our columns in the header; extra columns are ignored."""
    if not any(h.strip() for h in header):
        raise ImportFileError("The file is empty: upload a CSV or XLSX file with a header row.")
    for position, text in enumerate(header):
        column = _ALIASES.get(_header_key(text))
        if column is None:
            if text.strip():
                table.ignored.append(text.strip())
                table.unknown.setdefault(_header_key(text), position)
            continue
        if column in table.columns:
            first = header[table.columns[column]].strip()
            raise ImportFileError(
                f'Two columns mean "{column}": "{first}" and "{text.strip()}". Remove one of them.'
            )
        table.columns[column] = position
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise ImportFileError(
            "Missing required column"
            + ("s" if len(missing) > 1 else "")
            + ": "
            + "; ".join(
                f"{c} (accepted headers: {', '.join(_display(a) for a in COLUMNS[c])})"
                for c in missing
            )
            + "."
        )


def _display(alias: str) -> str:
    return {"e mail": "E-mail", "e mail address": "E-mail address"}.get(alias, alias.capitalize())
