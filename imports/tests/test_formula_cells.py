"""Formula injection through cells a spreadsheet splits (OWASP "CSV
injection"): "x;=1+1" opened with ";" as the separator is the cells "x" and
"=1+1", so a guard on the first character alone is not enough. One function
(exports.neutralise) guards every text cell of the CSV and the XLSX export,
check-in codes included."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from imports.exports import neutralise
from registrants.models import Registrant
from registrants.tests.factories import make_registrant

pytestmark = pytest.mark.django_db

SPLIT_FORMULAS = [
    "x;=1+1",
    "x\t=1+1",
    "x,=1+1",
    "x\r=1+1",
    "x\n=1+1",
    "Ada,+1",
    "Ada;-2+3",
    "Ada;@SUM(A1)",
    'x;"=1+1"',  # the quote that opens a quoted field after the split
    "x;\t=1",
    'a;b;c,=HYPERLINK("http://evil.example","x")',
]


@pytest.mark.parametrize("cell", SPLIT_FORMULAS)
def test_a_formula_right_after_a_separator_is_neutralised(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize(
    "cell",
    ["Jean-Pierre", "ada+tag@example.com", "a;b", "Smith, Ada", "x; =1", "O'Brien-Smith", "Q&A"],
)
def test_text_that_cannot_split_into_a_formula_is_left_alone(cell):
    assert neutralise(cell) == cell


def _csv(client, event) -> list[list[str]]:
    response = client.get(f"/api/v1/events/{event.pk}/export/?ordering=name")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def _xlsx(client, event) -> list[tuple]:
    response = client.get(f"/api/v1/events/{event.pk}/export/?format=xlsx&ordering=name")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(book.active.iter_rows(min_row=2, values_only=True))


def test_split_formulas_are_neutralised_in_csv_and_xlsx(org_client, event):
    make_registrant(event, name="x;=1+1", company="Acme,@SUM(A1)")
    csv_row = _csv(org_client, event)[1]
    xlsx_row = _xlsx(org_client, event)[0]
    assert (csv_row[1], csv_row[3]) == ("'x;=1+1", "'Acme,@SUM(A1)")
    assert (xlsx_row[1], xlsx_row[3]) == ("'x;=1+1", "'Acme,@SUM(A1)")


def test_a_code_starting_with_a_formula_character_is_neutralised_in_both(org_client, event):
    """Codes made before migration 0009 could start with "-": the export
    must not hand one to a spreadsheet raw (it showed as #NAME?)."""
    ada = make_registrant(event, name="Ada")
    Registrant.objects.filter(pk=ada.pk).update(check_in_code="-Abc_123")
    assert _csv(org_client, event)[1][8] == "'-Abc_123"
    assert _xlsx(org_client, event)[0][8] == "'-Abc_123"


def test_codes_of_today_are_exported_verbatim(org_client, event):
    ada = make_registrant(event, name="Ada")
    assert _csv(org_client, event)[1][8] == ada.check_in_code
