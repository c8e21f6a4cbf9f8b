"""Hostile spreadsheets built in the test: broken XML, DTDs, zip bombs.

`xlsx(sheet)` takes a real workbook written by openpyxl and swaps its first
sheet for `sheet` (bytes, or an iterable of byte chunks streamed into the
zip, so a bomb never sits in memory whole).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

import openpyxl

SHEET = "xl/worksheets/sheet1.xml"
OPEN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
CLOSE = b"</sheetData></worksheet>"


def _template() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["name", "email"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx(sheet: bytes | Iterable[bytes], extra: dict[str, bytes] | None = None) -> bytes:
    """A workbook whose first sheet's XML is `sheet`, plus `extra` parts."""
    chunks = [sheet] if isinstance(sheet, bytes) else sheet
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(_template())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename == SHEET:
                with target.open(SHEET, "w", force_zip64=True) as part:
                    for chunk in chunks:
                        part.write(chunk)
            else:
                target.writestr(info, source.read(info))
        for name, content in (extra or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def cell(reference: str, text: str) -> bytes:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def row(number: int, *texts: str) -> bytes:
    cells = b"".join(cell(f"{chr(65 + i)}{number}", t) for i, t in enumerate(texts))
    return f'<row r="{number}">'.encode() + cells + b"</row>"


def sheet(*rows: bytes) -> bytes:
    return OPEN + b"".join(rows) + CLOSE


def header_and_people(n: int) -> Iterable[bytes]:
    yield OPEN + row(1, "name", "email")
    for i in range(2, n + 2):
        yield row(i, f"Person {i}", f"person{i}@example.com")
    yield CLOSE


def huge_cell(chars: int) -> Iterable[bytes]:
    """One data row whose name is `chars` characters long, streamed."""
    yield OPEN + row(1, "name", "email") + b'<row r="2"><c r="A2" t="inlineStr"><is><t>'
    block = b"A" * (1024 * 1024)
    for _ in range(chars // len(block)):
        yield block
    yield b"A" * (chars % len(block))
    yield b"</t></is></c></row>" + CLOSE


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    + row(1, "name", "email")
    + b'<row r="2"><c r="A2" t="inlineStr"><is><t>&lol3;</t></is></c></row>'
    + CLOSE
)

DTD_ONLY = (
    b'<?xml version="1.0"?>\n<!DOCTYPE worksheet SYSTEM "http://example.com/x.dtd">'
    + sheet(row(1, "name", "email"), row(2, "Ada", "ada@example.com"))[
        len(b'<?xml version="1.0" encoding="UTF-8"?>\n') :
    ]
)

MALFORMED = OPEN + row(1, "name", "email") + b'<row r="2"><c r="A2" t="inlineStr"><is><t>Ada'
