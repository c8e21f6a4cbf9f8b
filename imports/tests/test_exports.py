"""The XLSX export, read back with openpyxl: header order, cell values and
types, formula neutralisation, control characters, an empty list, and the
rows handed to the writer."""

from __future__ import annotations

import io

import openpyxl
import pytest
from openpyxl.utils.escape import unescape

from conftest import client_for
from imports.exports import write_xlsx, xlsx_records
from registrants.roles import ORGANISER
from registrants.tests.factories import make_registrant, make_user

REGISTRANT_HEADER = (
    "id",
    "name",
    "email",
    "company",
    "guest_type",
    "status",
    "created_at",
    "updated_at",
    "check_in_code",
)
HISTORY_HEADER = (
    "registrant_id",
    "registrant_name",
    "from_status",
    "to_status",
    "at",
    "actor",
    "source",
    "note",
)


@pytest.fixture
def client_without_codes(db):
    """An organiser who may export but not see check-in codes."""
    from django.contrib.auth.models import Permission

    user = make_user("noel", ORGANISER)
    user.user_permissions.clear()
    user.groups.first().permissions.remove(Permission.objects.get(codename="view_check_in_code"))
    return client_for(user)


def export_xlsx(client, event, query=""):
    response = client.get(f"/api/v1/events/{event.pk}/export/?format=xlsx{query}")
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


@pytest.mark.django_db
def test_xlsx_headers_and_cells_are_those_of_the_csv(org_client, event):
    ada = make_registrant(event, name="Ada", company="Acme", guest_type="speaker")
    bob = make_registrant(event, name="Bob", status="checked_in")
    workbook = export_xlsx(org_client, event, "&history=1&ordering=name")
    sheet = workbook["Registrants"]
    assert next(sheet.iter_rows(values_only=True)) == REGISTRANT_HEADER
    first, second = list(sheet.iter_rows(min_row=2))
    assert first[0].data_type == "n" and first[0].value == ada.pk
    assert [c.value for c in first[1:]] == [
        "Ada",
        ada.email,
        "Acme",
        "speaker",
        "registered",
        ada.created_at.isoformat(),
        ada.updated_at.isoformat(),
        ada.check_in_code,
    ]
    assert all(c.data_type == "s" for c in first[1:])
    # No company: a blank cell, as before (not an empty string).
    assert (second[1].value, second[3].value, second[5].value) == ("Bob", None, "checked_in")

    history = list(workbook["History"].iter_rows(values_only=True))
    assert history[0] == HISTORY_HEADER
    bob_rows = [r for r in history[1:] if r[0] == bob.pk]
    assert [(r[1], r[2], r[3], r[6]) for r in bob_rows] == [
        ("Bob", None, "registered", "api"),
        ("Bob", "registered", "checked_in", "api"),
    ]


@pytest.mark.django_db
def test_xlsx_without_code_permission_has_no_code_column(client_without_codes, event):
    make_registrant(event, name="Ada")
    sheet = export_xlsx(client_without_codes, event).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == REGISTRANT_HEADER[:-1]
    assert len(rows[1]) == len(REGISTRANT_HEADER) - 1


@pytest.mark.django_db
def test_an_empty_list_is_a_workbook_of_headers(org_client, event):
    make_registrant(event, name="Ada")
    workbook = export_xlsx(org_client, event, "&history=1&created_after=2999-01-01T00:00:00Z")
    assert workbook.sheetnames == ["Registrants", "History"]
    assert list(workbook["Registrants"].iter_rows(values_only=True)) == [REGISTRANT_HEADER]
    assert list(workbook["History"].iter_rows(values_only=True)) == [HISTORY_HEADER]


@pytest.mark.django_db
def test_control_characters_and_formulas_survive_the_xlsx(org_client, event):
    """A name with \\x01 (not allowed in XML) is stored escaped as _x0001_,
    the way Excel reads it back; a formula start is neutralised, a text cell.
    (Names refuse control characters now; rows stored before may hold them.)"""
    ada = make_registrant(event, name="Ada Lovelace")
    type(ada).objects.filter(pk=ada.pk).update(name="Ada\x01Lovelace")
    make_registrant(event, name="=1+2")
    sheet = export_xlsx(org_client, event, "&ordering=name").active
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert [c.data_type for c in cells] == ["s", "s"]
    # openpyxl leaves inline strings' _xHHHH_ escapes as they are; Excel decodes them.
    assert cells[0].value == "'=1+2"
    assert cells[1].value == "Ada_x0001_Lovelace"
    assert unescape(cells[1].value) == "Ada\x01Lovelace"


def read_back(fileobj):
    workbook = openpyxl.load_workbook(fileobj)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}


def test_write_xlsx_keeps_header_order_types_and_literal_escapes():
    rows = iter(
        [
            ["z", "a", "m"],
            [1, "=SUM(A1)", ""],
            [2, "_x0041_", "007"],
            [3, "http://example.com", None],
        ]
    )
    sheets = read_back(write_xlsx([("Only", rows)]))
    header, *data = sheets["Only"]
    assert header == ("z", "a", "m")
    # Strings stay text, however they look; a literal "_x0041_" is escaped
    # (_x005F_x0041_) so that Excel shows it as typed.
    assert data == [
        (1, "=SUM(A1)", None),
        (2, "_x005F_x0041_", "007"),
        (3, "http://example.com", None),
    ]
    assert unescape(data[1][1]) == "_x0041_"


def test_xlsx_records_zips_every_row_onto_the_header_in_order():
    records = list(xlsx_records(iter([["b", "a"], [1, 2], [3, 4]])))
    assert records == [{"b": 1, "a": 2}, {"b": 3, "a": 4}]
    assert [list(r) for r in records] == [["b", "a"], ["b", "a"]]
    assert list(xlsx_records(iter([["b", "a"]]))) == [{"b": None, "a": None}]
    with pytest.raises(ValueError):
        list(xlsx_records(iter([["b", "a"], [1]])))


def test_xlsx_records_pulls_rows_lazily():
    pulled = []

    def rows():
        yield ["n"]
        for i in range(3):
            pulled.append(i)
            yield [i]

    records = xlsx_records(rows())
    assert next(records) == {"n": 0}
    assert pulled == [0]


def test_the_workbook_file_has_no_name_left_behind(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    out = write_xlsx([("Only", iter([["n"], [1]]))])
    assert list(tmp_path.iterdir()) == []
    assert read_back(out) == {"Only": [("n",), (1,)]}
    out.close()


def test_an_error_while_reading_rows_reaches_the_caller(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))

    def rows():
        yield ["n"]
        yield [1]
        raise RuntimeError("connection lost")

    with pytest.raises(RuntimeError, match="connection lost"):
        write_xlsx([("Only", rows())])
    assert list(tmp_path.iterdir()) == []
