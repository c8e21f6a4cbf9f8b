"""The spreadsheet reader: formats, encodings, delimiters, headers, streaming."""

from __future__ import annotations

import codecs
import tracemalloc

import openpyxl
import pytest

from imports.parsing import ImportFileError, open_table

from .conftest import csv_bytes, people


def write(tmp_path, content: bytes, name: str = "people.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def read(tmp_path, content: bytes, name: str = "people.csv"):
    return list(open_table(write(tmp_path, content, name)).rows())


def test_utf8_with_bom_reads_the_first_header(tmp_path):
    rows = read(tmp_path, codecs.BOM_UTF8 + csv_bytes([("Zoë Müller", "zoe@example.com", "", "")]))
    assert rows[0].values["name"] == "Zoë Müller"
    assert rows[0].number == 2


def test_utf8_without_bom(tmp_path):
    rows = read(tmp_path, csv_bytes([("Łukasz Żółć", "l@example.com", "Café Zürich", "")]))
    assert rows[0].values["company"] == "Café Zürich"


def test_latin1_file_falls_back(tmp_path):
    content = csv_bytes(
        [("René Dupré", "rene@example.com", "Société Générale", "")], encoding="latin-1"
    )
    table = open_table(write(tmp_path, content))
    rows = list(table.rows())
    assert table.encoding == "cp1252"
    assert rows[0].values["name"] == "René Dupré"
    assert rows[0].values["company"] == "Société Générale"


def test_bytes_undefined_in_cp1252_still_decode_as_latin1(tmp_path):
    content = b"name,email\nA\x81B,a@example.com\n"
    assert read(tmp_path, content)[0].values["name"] == "A\x81B"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_each_delimiter_is_sniffed(tmp_path, delimiter):
    content = csv_bytes(
        [("Ada, Countess", "ada@example.com", "Analytical; Engines", "vip")], delimiter=delimiter
    )
    table = open_table(write(tmp_path, content))
    assert table.delimiter == delimiter
    row = next(table.rows())
    assert row.values == {
        "name": "Ada, Countess",
        "email": "ada@example.com",
        "company": "Analytical; Engines",
        "guest_type": "vip",
    }


def test_quoted_fields_with_newlines_are_one_row(tmp_path):
    content = b'name,email,company\n"Ada\nLovelace",ada@example.com,"Line 1\r\nLine 2"\nBob,bob@example.com,\n'
    rows = read(tmp_path, content)
    assert [r.values["name"] for r in rows] == ["Ada\nLovelace", "Bob"]
    assert rows[0].values["company"] == "Line 1\r\nLine 2"
    assert [r.number for r in rows] == [2, 3]


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Full name", "name"),
        ("NAME", "name"),
        ("E-mail", "email"),
        ("Email address", "email"),
        ("e_mail", "email"),
        ("Organisation", "company"),
        ("Organization", "company"),
        ("COMPANY", "company"),
        ("Type", "guest_type"),
        ("Guest type", "guest_type"),
        ("guest_type", "guest_type"),
    ],
)
def test_header_aliases_match_case_insensitively(tmp_path, header, column):
    names = {"name": "Full name", "email": "Email", "company": "Company", "guest_type": "Type"}
    names[column] = header
    content = (",".join(names.values()) + "\nAda,ada@example.com,Acme,vip\n").encode()
    row = read(tmp_path, content)[0]
    assert (
        row.values[column]
        == {"name": "Ada", "email": "ada@example.com", "company": "Acme", "guest_type": "vip"}[
            column
        ]
    )


def test_extra_columns_are_ignored(tmp_path):
    content = b"ID,Name,Phone,Email,Notes\n7,Ada,555,ada@example.com,likes tea\n"
    table = open_table(write(tmp_path, content))
    assert table.ignored == ["ID", "Phone", "Notes"]
    assert next(table.rows()).values == {"name": "Ada", "email": "ada@example.com"}


def test_optional_columns_may_be_absent(tmp_path):
    rows = read(tmp_path, b"name,email\nAda,ada@example.com\n")
    assert rows[0].values == {"name": "Ada", "email": "ada@example.com"}


def test_missing_required_column_is_a_file_error(tmp_path):
    with pytest.raises(ImportFileError) as exc:
        open_table(write(tmp_path, b"Full name,Company\nAda,Acme\n"))
    assert "Missing required column: email" in exc.value.message
    assert "E-mail" in exc.value.message


def test_two_columns_for_one_field_is_a_file_error(tmp_path):
    with pytest.raises(ImportFileError, match="Two columns"):
        open_table(write(tmp_path, b"name,email,E-mail\nAda,a@example.com,b@example.com\n"))


@pytest.mark.parametrize("content", [b"", b"   \n\r\n", codecs.BOM_UTF8])
def test_empty_file_is_a_file_error(tmp_path, content):
    with pytest.raises(ImportFileError, match="empty"):
        open_table(write(tmp_path, content))


def test_header_only_is_a_file_error(tmp_path):
    table = open_table(write(tmp_path, b"name,email\n\n,\n"))
    with pytest.raises(ImportFileError, match="no registrants"):
        list(table.rows())


def test_blank_rows_are_skipped_but_keep_their_numbers(tmp_path):
    rows = read(tmp_path, b"name,email\nA,a@example.com\n,,\n\nB,b@example.com\n")
    assert [r.number for r in rows] == [2, 5]


def test_whitespace_only_rows_are_blank_and_short_rows_fill_with_empty_cells(tmp_path):
    content = b"name,email,company\n \t, ,\n  Ada  , ada@example.com \nBob\n"
    rows = read(tmp_path, content)
    assert [(r.number, r.values) for r in rows] == [
        (3, {"name": "Ada", "email": "ada@example.com", "company": ""}),
        (4, {"name": "Bob", "email": "", "company": ""}),
    ]


def test_unclosed_quote_is_a_clear_file_error(tmp_path):
    content = b'name,email\n"Ada,ada@example.com\n' + b"x" * 20_000 + b"\n"
    with pytest.raises(ImportFileError, match="unclosed quote"):
        read(tmp_path, content)


def test_xlsx_first_sheet_with_aliases_and_numbers(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Full name", "E-mail", "Organization", "Type", "Extra"])
    sheet.append(["Ada", "ada@example.com", 1984, "Speaker", "x"])
    sheet.append([None, None, None, None, None])
    sheet.append(["Bob", "bob@example.com", None, None, None])
    path = tmp_path / "people.xlsx"
    workbook.save(path)
    table = open_table(path)
    assert table.kind == "xlsx"
    rows = list(table.rows())
    assert [r.number for r in rows] == [2, 4]
    assert rows[0].values == {
        "name": "Ada",
        "email": "ada@example.com",
        "company": "1984",
        "guest_type": "Speaker",
    }
    assert rows[1].values["company"] == ""


def test_broken_xlsx_is_a_file_error(tmp_path):
    with pytest.raises(ImportFileError, match="not a valid XLSX workbook"):
        open_table(write(tmp_path, b"PK\x03\x04 not really a zip", "people.xlsx"))


def test_100000_rows_stream_in_flat_memory(tmp_path):
    """Streaming, not speed: reading 100,000 rows (a 6 MB file; about 60 MB
    as a list of rows) peaks at the reader's fixed buffers, not the file."""
    path = tmp_path / "big.csv"
    with open(path, "wb") as f:
        f.write(b"name,email,company,guest_type\n")
        for start in range(0, 100_000, 10_000):
            f.write(csv_bytes(people(10_000, start=start), header=None))
    assert path.stat().st_size > 5_000_000
    tracemalloc.start()
    try:
        count = 0
        for row in open_table(path).rows():
            count += 1
            last = row
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 100_000
    assert last.number == 100_001
    assert peak < 3_000_000, f"peak {peak} bytes"
