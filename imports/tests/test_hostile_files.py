"""Files that cannot be read, or that are built to exhaust the server: the
job fails at once (one attempt, never left running for a retry) with a
message that names the problem or the limit, and nothing is imported."""

from __future__ import annotations

import openpyxl
import pytest

from imports import services
from imports.models import ImportRowError, ImportUpload
from registrants.models import Registrant, StatusChange
from registrants.tests.factories import EventFactory

from . import hostile_files as hostile
from .conftest import csv_bytes, people, upload_file
from .test_services import run

pytestmark = pytest.mark.django_db


def assert_failed_at_once(job, *phrases: str) -> None:
    assert (job.state, job.stage, job.attempts) == ("failed", "finished", 1), job.message
    for phrase in phrases:
        assert phrase in job.message
    # The report repeats the message, so the error CSV says it too.
    assert list(ImportRowError.objects.filter(job=job).values_list("message", flat=True)) == [
        job.message[:500]
    ]
    assert not Registrant.objects.filter(event=job.event).exists()
    assert not StatusChange.objects.filter(event=job.event).exists()


# --- CSV --------------------------------------------------------------------------------


def test_a_header_field_longer_than_the_cell_limit_fails_the_job_naming_row_1(organiser):
    content = b"name," + b"x" * 200_000 + b"\nAda,ada@example.com\n"
    job = run(EventFactory(), content, organiser)
    assert_failed_at_once(job, "row 1: a field is longer than 10,000 characters")


def test_a_data_field_longer_than_the_cell_limit_names_its_row(organiser):
    rows = [*people(2), ("Bob", "bob@example.com", "y" * 10_001, "")]
    job = run(EventFactory(), csv_bytes(rows), organiser)
    assert_failed_at_once(job, "row 4: a field is longer than 10,000 characters")


def test_the_cell_limit_is_a_setting(organiser, settings):
    settings.IMPORT_MAX_CELL_CHARS = 50
    job = run(EventFactory(), csv_bytes([("Ada", "ada@example.com", "c" * 51, "")]), organiser)
    assert_failed_at_once(job, "row 2: a field is longer than 50 characters")


def test_a_csv_row_wider_than_the_column_limit_fails_the_job(organiser, settings):
    settings.IMPORT_MAX_COLUMNS = 10
    content = b"name,email\nAda,ada@example.com" + b",x" * 10 + b"\n"
    job = run(EventFactory(), content, organiser)
    assert_failed_at_once(job, "row 2 has more than 10 columns")


def test_blank_csv_lines_count_towards_the_row_limit(organiser, settings):
    """A file of empty lines costs as much to read as one of people."""
    settings.IMPORT_MAX_ROWS = 100
    content = b"name,email\n" + b",\n" * 5000 + b"Ada,ada@example.com\n"
    job = run(EventFactory(), content, organiser)
    assert_failed_at_once(job, "more than 100 rows below its header")


# --- XLSX: not a workbook -----------------------------------------------------------------


def test_malformed_sheet_xml_fails_the_job_as_not_a_valid_workbook(organiser):
    job = run(EventFactory(), hostile.xlsx(hostile.MALFORMED), organiser, name="people.xlsx")
    assert_failed_at_once(job, "The file is not a valid XLSX workbook: ")


def test_a_sheet_declaring_a_dtd_fails_the_job(organiser):
    job = run(EventFactory(), hostile.xlsx(hostile.DTD_ONLY), organiser, name="people.xlsx")
    assert_failed_at_once(job, "not a valid XLSX workbook", "declares a DTD")


def test_entity_expansion_is_refused_not_expanded(organiser):
    job = run(EventFactory(), hostile.xlsx(hostile.BILLION_LAUGHS), organiser, name="people.xlsx")
    assert_failed_at_once(job, "not a valid XLSX workbook", "DTD")


def test_a_truncated_zip_fails_the_job(organiser):
    content = hostile.xlsx(hostile.sheet(hostile.row(1, "name", "email")))
    job = run(EventFactory(), content[: len(content) // 2], organiser, name="people.xlsx")
    assert_failed_at_once(job, "not a valid XLSX workbook")


def test_openpyxl_parses_with_defusedxml():
    """openpyxl picks defusedxml up when it is installed; if this fails, the
    dependency is gone and openpyxl would expand entities again."""
    assert openpyxl.DEFUSEDXML is True


# --- XLSX: bombs ----------------------------------------------------------------------------


def test_a_highly_compressed_part_is_refused_before_unpacking(organiser):
    """A 1 GB cell packs into 1 MB: the ratio gives it away without unpacking.
    (Here 30 MB, which packs 1,000 to 1.)"""
    content = hostile.xlsx(hostile.huge_cell(30 * 1024 * 1024))
    assert len(content) < 100_000
    job = run(EventFactory(), content, organiser, name="people.xlsx")
    assert_failed_at_once(job, "unpacks to", "times its packed size (the limit is 100)")


def test_a_workbook_unpacking_past_the_size_limit_is_refused(organiser, settings):
    settings.IMPORT_XLSX_MAX_UNPACKED_MB = 1
    settings.IMPORT_XLSX_MAX_RATIO = 10_000  # only the size speaks here
    content = hostile.xlsx(hostile.huge_cell(2 * 1024 * 1024))
    job = run(EventFactory(), content, organiser, name="people.xlsx")
    assert_failed_at_once(job, "unpacks to more than 1 MB")


def test_a_cell_longer_than_the_limit_is_refused_while_streaming(organiser, settings):
    settings.IMPORT_XLSX_MAX_RATIO = 10_000
    job = run(EventFactory(), hostile.xlsx(hostile.huge_cell(3_000_000)), organiser, name="p.xlsx")
    assert_failed_at_once(job, "row 2: a field is longer than 10,000 characters")


def test_too_many_rows_are_refused_while_streaming(organiser, settings):
    settings.IMPORT_MAX_ROWS = 1000
    job = run(
        EventFactory(), hostile.xlsx(hostile.header_and_people(5000)), organiser, name="p.xlsx"
    )
    assert_failed_at_once(job, "more than 1,000 rows below its header")


def test_a_row_claiming_a_far_position_counts_as_that_many_rows(organiser):
    """openpyxl would fill a million empty rows before row 1,048,576."""
    content = hostile.xlsx(
        hostile.sheet(hostile.row(1, "name", "email"), hostile.row(1_048_576, "Ada", "a@b.com"))
    )
    job = run(EventFactory(), content, organiser, name="people.xlsx")
    assert_failed_at_once(job, "more than 100,000 rows below its header")


def test_a_cell_far_to_the_right_counts_as_that_many_columns(organiser):
    content = hostile.xlsx(
        hostile.sheet(
            hostile.row(1, "name", "email"),
            b'<row r="2">' + hostile.cell("XFD2", "wide") + b"</row>",
        )
    )
    job = run(EventFactory(), content, organiser, name="people.xlsx")
    assert_failed_at_once(job, "row 2 has more than 50 columns")


def test_a_workbook_within_the_limits_still_imports(organiser):
    content = hostile.xlsx(hostile.header_and_people(300))
    job = run(EventFactory(capacity=1000), content, organiser, name="people.xlsx")
    assert (job.state, job.created) == ("done", 300), job.message


def test_a_csv_line_longer_than_a_full_row_is_refused_before_it_is_split(organiser, settings):
    """50 MB of commas would become 50 million cells in the csv module."""
    settings.IMPORT_MAX_COLUMNS = 10
    settings.IMPORT_MAX_CELL_CHARS = 100
    content = b"name,email\nAda,ada@example.com\n" + b"," * 5000 + b"\n"
    job = run(EventFactory(), content, organiser)
    assert_failed_at_once(job, "Line 3 of the file is longer than 1,030 characters")


def test_texts_outside_cells_are_each_held_to_the_cell_limit_not_summed(organiser):
    """Twenty comments of 1,000 characters are twenty texts, not one of 20,000."""
    comment = b"<comment><text><t>" + b"c" * 1000 + b"</t></text></comment>"
    comments = (
        b'<?xml version="1.0"?><comments xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><commentList>' + comment * 20 + b"</commentList></comments>"
    )
    content = hostile.xlsx(hostile.header_and_people(3), {"xl/comments1.xml": comments})
    job = run(EventFactory(), content, organiser, name="people.xlsx")
    assert (job.state, job.created) == ("done", 3), job.message


def test_a_job_whose_file_is_gone_fails_at_once_and_frees_the_file(organiser):
    """Not retried three times against a missing file; a failed job does not
    make the same file a duplicate."""
    event = EventFactory()
    content = csv_bytes(people(2))
    job = services.import_job_create(
        event_id=event.pk, upload=upload_file(content), actor=organiser
    )
    ImportUpload.objects.filter(job_id=job.pk).delete()
    services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert_failed_at_once(job, "no longer stored")
    again = services.import_job_create(
        event_id=event.pk, upload=upload_file(content), actor=organiser
    )
    assert again.pk != job.pk
