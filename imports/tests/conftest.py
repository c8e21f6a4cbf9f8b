"""Fixtures for the import tests: a private upload directory, jobs run inline."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from testing.broker import broker  # noqa: F401 - the broker-down tests' fixture


@pytest.fixture(autouse=True)
def import_settings(settings, tmp_path):
    """Uploads go to a temporary directory; jobs run in the test's thread
    (tests that need a thread or a real worker say so)."""
    settings.IMPORT_UPLOAD_DIR = str(tmp_path / "uploads")
    settings.IMPORT_RUNNER = "inline"
    return settings


def csv_bytes(
    rows, *, header=("name", "email", "company", "guest_type"), delimiter=",", encoding="utf-8"
) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def people(n, *, start=0, company="Acme", guest_type="attendee"):
    return [
        (f"Person {i}", f"person{i}@example.com", company, guest_type)
        for i in range(start, start + n)
    ]


def upload_file(content: bytes, name: str = "people.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")
