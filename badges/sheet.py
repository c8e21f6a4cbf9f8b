"""The printable check-in sheet: every expected registrant of an event in
alphabetical order with a tick box, for the door when the network fails.

A4 portrait, drawn with reportlab's canvas (fast for thousands of rows).
The sheet holds only the last CODE_TAIL characters of a check-in code, to
tell two people of the same name apart when they show their code: a
printed sheet left on a table must not be a list of door keys.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from reportlab.lib.colors import HexColor, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from .render import fonts

CODE_TAIL = 4
MARGIN = 14 * mm
ROW_HEIGHT = 7.5 * mm
BOX = 4.2 * mm
FONT_SIZE = 9.5
MIN_FONT_SIZE = 7
# Column x positions (from the left margin) and widths.
COLUMNS = {
    "tick": (0, 8 * mm),
    "name": (9 * mm, 69 * mm),
    "company": (78 * mm, 43 * mm),
    "guest_type": (121 * mm, 23 * mm),
    "status": (144 * mm, 23 * mm),
    "code": (167 * mm, 15 * mm),
}
HEADINGS = {
    "name": "Name",
    "company": "Company",
    "guest_type": "Guest type",
    "status": "Status",
    "code": "Code",
}


@dataclass(frozen=True)
class SheetRow:
    """One line of the sheet."""

    name: str
    company: str
    guest_type: str
    status: str  # the label, e.g. "Checked in"
    code: str  # the full code; only its tail is printed

    @property
    def code_tail(self) -> str:
        return self.code[-CODE_TAIL:]


def sort_key(name: str) -> tuple[str, str]:
    """Alphabetical as a reader expects: accents and case ignored ("Émile"
    files under E, next to "Emil"), the exact name breaking ties."""
    folded = "".join(
        c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)
    ).casefold()
    return folded, name


def _fit(text: str, font: str, width: float, size: float = FONT_SIZE) -> tuple[str, float]:
    """(text, font size) to fit `width` points: a smaller size down to
    MIN_FONT_SIZE first (a name is looked up by its whole spelling), then
    cut with an ellipsis."""
    while size > MIN_FONT_SIZE and stringWidth(text, font, size) > width:
        size -= 0.5
    if stringWidth(text, font, size) <= width:
        return text, size
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…", size


def render_sheet(rows: Iterable[SheetRow], *, title: str, printed_at: str) -> bytes:
    """The sheet as a PDF: rows in the order given, a header on every page
    with `title`, the print time and the page number."""
    regular, bold = fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"Check-in sheet · {title}")
    width, height = A4
    top = height - MARGIN - 18 * mm
    per_page = int((top - MARGIN) // ROW_HEIGHT)
    page, y, count = 0, 0.0, 0

    def header() -> float:
        canvas.setFillColor(black)
        text, size = _fit(title, bold, width - 2 * MARGIN - 55 * mm, 13)
        canvas.setFont(bold, size)
        canvas.drawString(MARGIN, height - MARGIN - 4 * mm, text)
        canvas.setFont(regular, 8.5)
        canvas.drawRightString(
            width - MARGIN, height - MARGIN - 4 * mm, f"Printed {printed_at} · page {page}"
        )
        canvas.setFont(bold, 8.5)
        for key, label in HEADINGS.items():
            canvas.drawString(MARGIN + COLUMNS[key][0], top + 3 * mm, label)
        canvas.setStrokeColor(black)
        canvas.line(MARGIN, top + 1.5 * mm, width - MARGIN, top + 1.5 * mm)
        return top

    for count, row in enumerate(rows, start=1):
        if (count - 1) % per_page == 0:
            if page:
                canvas.showPage()
            page += 1
            y = header()
        y -= ROW_HEIGHT
        canvas.setStrokeColor(black)
        canvas.rect(MARGIN + 1 * mm, y + 1.6 * mm, BOX, BOX)
        for key in ("name", "company", "guest_type", "status", "code"):
            x, w = COLUMNS[key]
            value = row.code_tail if key == "code" else getattr(row, key)
            text, size = _fit(value, regular, w - 1 * mm)
            canvas.setFont(regular, size)
            canvas.drawString(MARGIN + x, y + 2.4 * mm, text)
        canvas.setStrokeColor(HexColor("#cccccc"))
        canvas.line(MARGIN, y, width - MARGIN, y)
    if count == 0:
        page = 1
        y = header()
        canvas.setFont(regular, FONT_SIZE)
        canvas.drawString(MARGIN, y - ROW_HEIGHT, "No registrants expected.")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
