"""How much an import may hold, and the checks that keep a hostile file small.

Before openpyxl opens an XLSX: `check_archive` caps the zip's declared sizes
and ratio (nothing unpacked), then `scan_workbook` streams every XML part
once through defusedxml, stopping at the first limit crossed. CSV is read
under the same limits (imports.parsing). See docs/decisions/0052.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.sax import SAXException
from xml.sax.handler import ContentHandler

from defusedxml.common import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser
from django.conf import settings

READ_BYTES = 64 * 1024
# Members smaller than this are not held to the ratio: a tiny, very
# regular file (an empty sheet) may compress far better than data does.
RATIO_FLOOR_BYTES = 1024 * 1024


def max_rows() -> int:
    """Data rows below the header (blank rows count: they cost as much to read)."""
    return int(getattr(settings, "IMPORT_MAX_ROWS", 100_000))


def max_columns() -> int:
    return int(getattr(settings, "IMPORT_MAX_COLUMNS", 50))


def max_cell_chars() -> int:
    return int(getattr(settings, "IMPORT_MAX_CELL_CHARS", 10_000))


def max_unpacked_bytes() -> int:
    return int(getattr(settings, "IMPORT_XLSX_MAX_UNPACKED_MB", 200)) * 1024 * 1024


def max_ratio() -> int:
    return int(getattr(settings, "IMPORT_XLSX_MAX_RATIO", 100))


class LimitExceeded(Exception):
    """The file crosses one of the limits above; the message names it."""

    def __init__(self, message: str, *, row: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.row = row


def too_many_rows() -> LimitExceeded:
    return LimitExceeded(
        f"The file has more than {max_rows():,} rows below its header (the limit per import);"
        " split it into several files."
    )


def cell_too_long(row: int | None) -> LimitExceeded:
    where = f"row {row}: a" if row else "A"
    return LimitExceeded(
        f"{where} field is longer than {max_cell_chars():,} characters (the limit per cell).",
        row=row,
    )


def too_many_columns(row: int | None) -> LimitExceeded:
    where = f"row {row} has" if row else "A row has"
    return LimitExceeded(
        f"{where} more than {max_columns():,} columns (the limit per row).", row=row
    )


# --- The archive ---------------------------------------------------------------------


def check_archive(archive: zipfile.ZipFile) -> None:
    """Refuse a workbook whose declared sizes are too large, before unpacking."""
    total, limit, ratio = 0, max_unpacked_bytes(), max_ratio()
    for info in archive.infolist():
        packed = max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size / packed > ratio:
            raise LimitExceeded(
                f'The workbook\'s part "{info.filename}" unpacks to {info.file_size // packed:,}'
                f" times its packed size (the limit is {ratio:,}); it is not an ordinary"
                " spreadsheet."
            )
        total += info.file_size
        if total > limit:
            raise LimitExceeded(
                f"The workbook unpacks to more than {limit // (1024 * 1024):,} MB (the limit"
                " per import); save it as CSV or split it into several files."
            )


# --- The XML -------------------------------------------------------------------------

_COLUMN = re.compile(r"[A-Z]{1,7}")


def _column_number(reference: str) -> int:
    letters = _COLUMN.match(reference)
    number = 0
    for letter in letters.group() if letters else "":
        number = number * 26 + ord(letter) - 64
    return number


class _Counter(ContentHandler):
    """Counts rows, cells and text length of one XML part; raises at a limit.

    Rows and columns count both the elements and the position they claim
    (`r="A1048576"`): openpyxl fills the gaps up to that position."""

    def __init__(self, *, sheet: bool) -> None:
        super().__init__()
        self.sheet = sheet
        self.rows = self.cells = self.chars = 0
        self.in_text = False
        self.in_cell = False  # a sheet's cell or a shared string: one text, maybe in runs
        self.max_rows, self.max_columns, self.max_chars = (
            max_rows(),
            max_columns(),
            max_cell_chars(),
        )

    def startElement(self, name, attrs):  # noqa: N802 - the SAX interface
        local = name.rpartition(":")[2]
        if local in ("t", "v"):
            self.in_text = True
            if not self.in_cell:
                self.chars = 0  # a text of its own (a comment, a drawing's label)
        elif local == "c" and self.sheet:
            self.cells += 1
            column = _column_number(attrs.get("r", ""))
            if max(self.cells, column) > self.max_columns:
                raise too_many_columns(self.rows or None)
            self.chars, self.in_cell = 0, True
        elif local == "row" and self.sheet:
            number = attrs.get("r", "")
            self.rows = max(self.rows + 1, int(number) if number.isdigit() else 0)
            if self.rows > self.max_rows + 1:  # + the header
                raise too_many_rows()
            self.cells = 0
        elif local == "si":
            self.chars, self.in_cell = 0, True

    def endElement(self, name):  # noqa: N802
        local = name.rpartition(":")[2]
        if local in ("t", "v"):
            self.in_text = False
        elif local in ("c", "si"):
            self.in_cell = False

    def characters(self, content):
        if self.in_text:
            self.chars += len(content)
            if self.chars > self.max_chars:
                raise cell_too_long(self.rows if self.sheet else None)


def scan_workbook(archive: zipfile.ZipFile) -> None:
    """Stream every XML part through a hardened parser, under the limits.

    Raises LimitExceeded, or the parser's error (SAXException, or
    defusedxml's DTDForbidden / EntitiesForbidden) for XML that is not
    well-formed or declares a DTD.
    """
    for info in archive.infolist():
        name = info.filename
        if not name.endswith((".xml", ".rels")):
            continue
        parser = DefusedExpatParser(forbid_dtd=True)
        parser.setContentHandler(_Counter(sheet=name.startswith("xl/worksheets/")))
        with archive.open(info) as part:
            while chunk := part.read(READ_BYTES):
                parser.feed(chunk)
        parser.close()


def check_workbook(path: Path) -> None:
    """check_archive, then scan_workbook (raises what they raise, and
    zipfile.BadZipFile for a file that is not a zip)."""
    with zipfile.ZipFile(path) as archive:
        check_archive(archive)
        scan_workbook(archive)


XML_ERRORS = (SAXException, DefusedXmlException)
