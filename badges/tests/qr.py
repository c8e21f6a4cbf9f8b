"""Read a badge PDF as a scanner would: render each page to pixels and decode
every QR code on it (pypdfium2 renders, zxing-cpp decodes)."""

from __future__ import annotations

import pypdfium2 as pdfium
import zxingcpp

DPI = 200


def decode_pdf(pdf: bytes) -> list[list[str]]:
    """The texts of the QR codes found on each page, page by page."""
    document = pdfium.PdfDocument(pdf)
    try:
        pages = []
        for index in range(len(document)):
            image = document[index].render(scale=DPI / 72).to_pil()
            barcodes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
            pages.append([barcode.text for barcode in barcodes])
        return pages
    finally:
        document.close()


def page_sizes(pdf: bytes) -> list[tuple[int, int]]:
    """Each page's (width, height) in whole points."""
    document = pdfium.PdfDocument(pdf)
    try:
        return [tuple(round(v) for v in document[i].get_size()) for i in range(len(document))]
    finally:
        document.close()
