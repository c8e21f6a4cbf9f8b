"""Badges as PDF: name, company, guest type, event and a QR code of the
check-in code, drawn with reportlab on the layouts of layouts.py.

The QR code is drawn as vector squares from its module matrix, so it
prints sharp at any size and resolution; error correction M survives a
scuffed badge. Text uses DejaVu Sans when the system has it (wide Unicode
coverage: accents, Greek, Cyrillic) and reportlab's bundled Vera otherwise;
a character neither font holds prints as a box, never as an error.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import reportlab
import zxingcpp
from django.conf import settings
from reportlab.lib.colors import HexColor, black, white
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from .layouts import Layout

QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks
MARGIN = 5 * mm
BAND_COLOURS = {
    "speaker": "#7b2cbf",
    "sponsor": "#c77d00",
    "exhibitor": "#00897b",
    "staff": "#37474f",
    "press": "#c62828",
    "vip": "#b8860b",
}
DEFAULT_BAND = "#1565c0"


@dataclass(frozen=True)
class BadgeData:
    """What one badge shows; built by selectors.badges_for, never from a
    viewer's request (a badge carries the check-in code)."""

    name: str
    company: str
    guest_type: str  # the value, for the band's colour
    guest_type_label: str
    event_name: str
    event_date: str
    code: str


@cache
def _fonts() -> tuple[str, str]:
    """(regular, bold) font names, registered with reportlab once."""
    candidates = [Path(p) for p in getattr(settings, "BADGE_FONT_DIRS", [])]
    candidates.append(Path("/usr/share/fonts/truetype/dejavu"))
    for directory in candidates:
        regular, bold = directory / "DejaVuSans.ttf", directory / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdfmetrics.registerFont(TTFont("BadgeSans", str(regular)))
            pdfmetrics.registerFont(TTFont("BadgeSans-Bold", str(bold)))
            return "BadgeSans", "BadgeSans-Bold"
    bundled = Path(reportlab.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont("BadgeVera", str(bundled / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont("BadgeVera-Bold", str(bundled / "VeraBd.ttf")))
    return "BadgeVera", "BadgeVera-Bold"


def fonts() -> tuple[str, str]:
    """(regular, bold) font names for any PDF of this app (the check-in sheet)."""
    return _fonts()


def render_badges(badges: Iterable[BadgeData], layout: Layout) -> bytes:
    """One PDF with every badge, `layout.per_page` to a page, in order."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=layout.page, pageCompression=1)
    canvas.setTitle("Badges")
    count = 0
    for count, badge in enumerate(badges, start=1):
        index = count - 1
        if index and index % layout.per_page == 0:
            canvas.showPage()
        x, y = layout.slot(index)
        _draw_badge(canvas, badge, x, y, *layout.badge_size)
    if count == 0:
        canvas.setFont(_fonts()[0], 12)
        canvas.drawString(MARGIN, layout.page[1] / 2, "No badges match this selection.")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_badge(canvas: Canvas, badge: BadgeData, x: float, y: float, w: float, h: float) -> None:
    regular, bold = _fonts()
    canvas.saveState()
    # A hairline cut guide: sheets are cut along it, single pages ignore it.
    canvas.setStrokeColor(HexColor("#cccccc"))
    canvas.setLineWidth(0.3)
    canvas.rect(x, y, w, h, stroke=1, fill=0)

    band_height = max(8 * mm, h * 0.12)
    canvas.setFillColor(HexColor(BAND_COLOURS.get(badge.guest_type, DEFAULT_BAND)))
    canvas.rect(x, y, w, band_height, stroke=0, fill=1)
    canvas.setFillColor(white)
    band_size = min(14.0, band_height * 0.55)
    canvas.setFont(bold, band_size)
    canvas.drawCentredString(
        x + w / 2, y + (band_height - band_size * 0.7) / 2, badge.guest_type_label.upper()
    )

    body_bottom, top = y + band_height + MARGIN / 2, y + h - MARGIN
    landscape = w > h
    if landscape:
        qr_size = min(h - band_height - 1.5 * MARGIN, w * 0.42)
        qr_x, qr_y = x + w - MARGIN - qr_size, body_bottom
        text_width = w - 3 * MARGIN - qr_size
    else:
        qr_size = min(w - 2 * MARGIN, (h - band_height) * 0.5)
        qr_x, qr_y = x + (w - qr_size) / 2, body_bottom
        text_width = w - 2 * MARGIN
    _draw_qr(canvas, badge.code, qr_x, qr_y, qr_size)

    canvas.setFillColor(black)
    event_size = 8.0
    canvas.setFont(regular, event_size)
    line = _fit(f"{badge.event_name} · {badge.event_date}", regular, event_size, text_width)
    canvas.drawString(x + MARGIN, top - event_size, line)

    name_size, lines = _name_lines(badge.name, bold, text_width)
    canvas.setFont(bold, name_size)
    name_y = top - event_size - 4 * mm
    for line in lines:
        name_y -= name_size * 1.1
        canvas.drawString(x + MARGIN, name_y, line)
    if badge.company:
        company_size = min(14.0, name_size * 0.6)
        canvas.setFont(regular, company_size)
        canvas.drawString(
            x + MARGIN,
            name_y - company_size - 2 * mm,
            _fit(badge.company, regular, company_size, text_width),
        )
    canvas.restoreState()


def qr_matrix(code: str) -> list[bytes]:
    """The QR symbol of `code` (error correction M), one bytes object per
    row, 0 for a dark module. zxing-cpp's encoder (C++) chooses the mask by
    the standard's penalty rules in about 0.1 ms; segno, pure Python, took
    30 times as long, most of a 2,000-badge batch."""
    barcode = zxingcpp.create_barcode(code, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = barcode.to_image(scale=1, add_quiet_zones=False)
    height, width = image.shape
    # The stub omits the buffer protocol the Image implements.
    pixels = memoryview(image).tobytes()  # type: ignore[arg-type]
    return [pixels[row * width : (row + 1) * width] for row in range(height)]


def qr_png(code: str, *, scale: int = 8) -> bytes:
    """The QR symbol of `code` as a PNG, quiet zone included, `scale`
    pixels a module: the ticket's image in e-mails and on its page."""
    from PIL import Image

    matrix = qr_matrix(code)
    size = len(matrix) + 2 * QUIET_ZONE
    image = Image.new("L", (size, size), 255)
    image.paste(
        Image.frombytes("L", (len(matrix[0]), len(matrix)), b"".join(matrix)),
        (QUIET_ZONE, QUIET_ZONE),
    )
    buffer = io.BytesIO()
    image.resize((size * scale, size * scale), Image.Resampling.NEAREST).save(buffer, "PNG")
    return buffer.getvalue()


def _draw_qr(canvas: Canvas, code: str, x: float, y: float, size: float) -> None:
    """The code as a QR symbol, quiet zone included, `size` points square.
    Dark modules of a row are drawn as one rectangle per run."""
    matrix = [[value == 0 for value in row] for row in qr_matrix(code)]
    modules = len(matrix) + 2 * QUIET_ZONE
    unit = size / modules
    canvas.setFillColor(white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(black)
    path = canvas.beginPath()
    for r, row in enumerate(matrix):
        top = y + size - (r + QUIET_ZONE) * unit
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                path.rect(x + (start + QUIET_ZONE) * unit, top - unit, (c - start) * unit, unit)
            else:
                c += 1
    canvas.drawPath(path, stroke=0, fill=1)


def _name_lines(
    name: str, font: str, width: float, largest: float = 26.0, smallest: float = 11.0
) -> tuple[float, list[str]]:
    """The name's font size and lines: one line as large as fits down to
    16 pt, else two lines split at the space that balances them best, as
    large as fits; what still does not fit is cut with an ellipsis."""
    size = largest
    while size > 16 and pdfmetrics.stringWidth(name, font, size) > width:
        size -= 1
    if pdfmetrics.stringWidth(name, font, size) <= width or " " not in name.strip():
        return size, [_fit(name, font, size, width)]
    words = name.split()
    splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    first, second = min(splits, key=lambda pair: abs(len(pair[0]) - len(pair[1])))
    size = largest
    while (
        size > smallest
        and max(
            pdfmetrics.stringWidth(first, font, size), pdfmetrics.stringWidth(second, font, size)
        )
        > width
    ):
        size -= 1
    return size, [_fit(first, font, size, width), _fit(second, font, size, width)]


def _fit(text: str, font: str, size: float, width: float) -> str:
    """The text, cut with an ellipsis if it is still wider than `width`."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"
