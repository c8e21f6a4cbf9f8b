"""The import and export endpoints: answers, error shape, permissions, export
formats and filters, formula neutralisation (RELIABILITY S10)."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pytest

from conftest import client_for
from imports.exports import neutralise
from imports.models import ImportJob
from registrants import services
from registrants.models import Registrant
from registrants.tests.factories import EventFactory, make_registrant, make_user

from .conftest import csv_bytes, people, upload_file
from .test_exports import HISTORY_HEADER, REGISTRANT_HEADER

pytestmark = pytest.mark.django_db


def post_import(client, event_id, content=None, **fields):
    data = {"file": upload_file(content if content is not None else csv_bytes(people(3))), **fields}
    return client.post(f"/api/v1/events/{event_id}/imports/", data, format="multipart")


# --- Import ---------------------------------------------------------------------------


def test_upload_answers_202_with_the_job_then_it_runs(
    org_client, event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_import(org_client, event.pk, mode="valid_rows")
    assert response.status_code == 202
    body = response.json()
    assert (body["state"], body["mode"], body["filename"]) == ("queued", "valid_rows", "people.csv")
    assert len(body["content_hash"]) == 64
    detail = org_client.get(f"/api/v1/imports/{body['id']}/").json()
    assert (detail["state"], detail["created"], detail["total"], detail["progress"]) == (
        "done",
        3,
        3,
        100,
    )
    assert detail["errors"] == [] and detail["error_count"] == 0
    assert detail["errors_url"] == f"/api/v1/imports/{body['id']}/errors.csv"


def test_job_detail_shows_errors_and_the_csv_report(
    org_client, event, django_capture_on_commit_callbacks
):
    rows = [("Ada", "ada@example.com", "", ""), ("=cmd|' /C calc'!A0", "bad", "", "")]
    with django_capture_on_commit_callbacks(execute=True):
        job_id = post_import(org_client, event.pk, csv_bytes(rows)).json()["id"]
    detail = org_client.get(f"/api/v1/imports/{job_id}/").json()
    assert detail["state"] == "failed"
    assert detail["errors"] == [
        {"row": 3, "column": "email", "message": '"bad" is not a valid email address.'}
    ]
    response = org_client.get(f"/api/v1/imports/{job_id}/errors.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [
        ["row", "column", "message"],
        ["3", "email", '"bad" is not a valid email address.'],
    ]


def test_duplicate_upload_is_409_then_force_is_accepted(
    org_client, event, django_capture_on_commit_callbacks
):
    content = csv_bytes(people(2))
    with django_capture_on_commit_callbacks(execute=True):
        first = post_import(org_client, event.pk, content).json()["id"]
    again = post_import(org_client, event.pk, content)
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "duplicate_import"
    assert error["details"]["import_id"] == first
    forced = post_import(org_client, event.pk, content, force="true")
    assert forced.status_code == 202
    assert forced.json()["forced"] is True


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"mode": "sometimes"}, "mode"), ({"force": "maybe"}, "force")],
)
def test_bad_upload_fields_are_400_in_the_error_shape(org_client, event, fields, field):
    response = post_import(org_client, event.pk, **fields)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert field in response.json()["error"]["fields"]


def test_upload_without_a_file_is_400(org_client, event):
    response = org_client.post(
        f"/api/v1/events/{event.pk}/imports/", {"mode": "valid_rows"}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]


def test_upload_as_json_is_415(org_client, event):
    response = org_client.post(f"/api/v1/events/{event.pk}/imports/", {"file": "x"}, format="json")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_upload_to_a_missing_event_is_404(org_client):
    response = post_import(org_client, 999_999)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not ImportJob.objects.exists()


def test_unknown_job_is_404(org_client):
    assert org_client.get("/api/v1/imports/999999/").status_code == 404
    assert org_client.get("/api/v1/imports/999999/errors.csv").status_code == 404


@pytest.mark.parametrize("who", ["staff_client", "viewer_client"])
def test_staff_and_viewers_may_not_import(request, who, event, organiser):
    client = request.getfixturevalue(who)
    assert post_import(client, event.pk).status_code == 403
    job = ImportJob.objects.create(
        event=event,
        actor=organiser,
        filename="x.csv",
        content_hash="0" * 64,
    )
    for path in (f"/api/v1/imports/{job.pk}/", f"/api/v1/imports/{job.pk}/errors.csv"):
        response = client.get(path)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"


def test_anonymous_gets_401(anon_client, event):
    response = post_import(anon_client, event.pk)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert anon_client.get("/api/v1/imports/1/").status_code == 401
    assert anon_client.get(f"/api/v1/events/{event.pk}/export/").status_code == 401


# --- Export ---------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.fixture
def crowd(event):
    ada = make_registrant(event, name="Ada", company="Acme", guest_type="speaker")
    bob = make_registrant(event, name="Bob", status="checked_in")
    cy = make_registrant(event, name="Cy", company="Globex", status="cancelled")
    other = make_registrant(EventFactory(), name="Elsewhere")
    return {"ada": ada, "bob": bob, "cy": cy, "other": other}


def test_csv_export_streams_the_event_registrants(org_client, event, crowd):
    response = org_client.get(f"/api/v1/events/{event.pk}/export/?format=csv")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == list(REGISTRANT_HEADER)
    assert [(r[1], r[3], r[4], r[5]) for r in rows[1:]] == [
        ("Ada", "Acme", "speaker", "registered"),
        ("Bob", "", "attendee", "checked_in"),
        ("Cy", "Globex", "attendee", "cancelled"),
    ]
    assert rows[1][8] == crowd["ada"].check_in_code


def test_export_uses_the_registrant_list_filters(org_client, event, crowd):
    base = f"/api/v1/events/{event.pk}/export/"

    def names(query):
        return [r[1] for r in read_csv(org_client.get(base + query))[1:]]

    assert names("?status=registered,checked_in") == ["Ada", "Bob"]
    assert names("?status=cancelled&status=registered") == ["Ada", "Cy"]
    assert names("?guest_type=speaker") == ["Ada"]
    assert names(f"?company={crowd['cy'].company_id}") == ["Cy"]
    assert names("?search=glob") == ["Cy"]
    assert names("?ordering=-name") == ["Cy", "Bob", "Ada"]
    assert names("?created_after=2999-01-01T00:00:00Z") == []


@pytest.mark.parametrize(
    "query",
    [
        "?format=pdf",
        "?status=lost",
        "?company=abc",
        "?history=perhaps",
        "?ordering=check_in_code",
        "?created_after=yesterday",
        "?company=99999999999999999999",
    ],
)
def test_bad_export_parameters_are_400(org_client, event, query):
    response = org_client.get(f"/api/v1/events/{event.pk}/export/{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_export_of_a_missing_event_is_404(org_client):
    response = org_client.get("/api/v1/events/999999/export/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_xlsx_export_with_history_has_two_sheets(org_client, event, crowd):
    response = org_client.get(f"/api/v1/events/{event.pk}/export/?format=xlsx&history=1")
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["Registrants", "History"]
    registrants = list(workbook["Registrants"].iter_rows(values_only=True))
    assert [r[1] for r in registrants[1:]] == ["Ada", "Bob", "Cy"]
    history = list(workbook["History"].iter_rows(values_only=True))
    assert history[0] == HISTORY_HEADER
    bob = [(r[2], r[3]) for r in history[1:] if r[0] == crowd["bob"].pk]
    assert bob == [(None, "registered"), ("registered", "checked_in")]
    assert crowd["other"].pk not in {r[0] for r in history[1:]}


def test_csv_export_with_history_is_a_zip_of_two_csvs(org_client, event, crowd):
    response = org_client.get(f"/api/v1/events/{event.pk}/export/?history=1&status=cancelled")
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.namelist() == ["registrants.csv", "history.csv"]
    history = list(csv.reader(io.StringIO(archive.read("history.csv").decode("utf-8-sig"))))
    assert [(r[0], r[2], r[3]) for r in history[1:]] == [
        (str(crowd["cy"].pk), "", "registered"),
        (str(crowd["cy"].pk), "registered", "cancelled"),
    ]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_neutralise_prefixes_a_quote_to_formula_starts(start):
    """S10: a cell starting with = + - @ tab or CR is shown as text."""
    assert neutralise(f"{start}SUM(A1)") == f"'{start}SUM(A1)"


@pytest.mark.parametrize("text", ["Ada", "a=b", " =x", "", "'quoted"])
def test_neutralise_leaves_other_text_alone(text):
    assert neutralise(text) == text
    assert neutralise(42) == 42


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_formula_cells_are_neutralised_in_csv_and_xlsx(org_client, event, start):
    """S10 end to end, in both formats (names are trimmed on the way in, so a
    leading tab or CR reaches the export only through a history note)."""
    hostile = f'{start}HYPERLINK("http://evil.example","x")'
    make_registrant(event, name=hostile, company=f"{start}1+2 Corp")
    rows = read_csv(org_client.get(f"/api/v1/events/{event.pk}/export/"))
    assert (rows[1][1], rows[1][3]) == ("'" + hostile, f"'{start}1+2 Corp")
    response = org_client.get(f"/api/v1/events/{event.pk}/export/?format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cell = sheet.cell(row=2, column=2)
    assert cell.data_type == "s"
    assert cell.value == "'" + hostile


@pytest.mark.parametrize("start", ["\t", "\r"])
def test_history_notes_with_tab_or_cr_are_neutralised(org_client, event, start):
    ada = make_registrant(event, name="Ada")
    services.registrant_change_status(
        registrant_id=ada.pk, to_status="checked_in", note=f"{start}=1+1"
    )
    archive = zipfile.ZipFile(
        io.BytesIO(
            b"".join(
                org_client.get(f"/api/v1/events/{event.pk}/export/?history=1").streaming_content
            )
        )
    )
    history = list(
        csv.reader(io.StringIO(archive.read("history.csv").decode("utf-8-sig"), newline=""))
    )
    assert history[-1][7] == f"'{start}=1+1"


def test_only_organisers_export(staff_client, viewer_client, event):
    for client in (staff_client, viewer_client):
        response = client.get(f"/api/v1/events/{event.pk}/export/")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"


def test_an_organiser_without_export_permission_is_refused(event):
    from django.contrib.auth.models import Permission

    user = make_user("nox", "organiser")
    user.user_permissions.clear()
    user.groups.first().permissions.remove(Permission.objects.get(codename="export_registrants"))
    response = client_for(user).get(f"/api/v1/events/{event.pk}/export/")
    assert response.status_code == 403


def test_registrant_count_unchanged_by_export(org_client, event, crowd):
    before = Registrant.objects.count()
    org_client.get(f"/api/v1/events/{event.pk}/export/?format=xlsx&history=true")
    assert Registrant.objects.count() == before


def test_the_schema_documents_the_new_endpoints(org_client):
    schema = org_client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert set(paths["/api/v1/events/{id}/imports/"]) == {"post"}
    assert (
        "multipart/form-data"
        in paths["/api/v1/events/{id}/imports/"]["post"]["requestBody"]["content"]
    )
    assert set(paths["/api/v1/imports/{id}/errors.csv"]["get"]["responses"]["200"]["content"]) == {
        "text/csv"
    }
    export = paths["/api/v1/events/{id}/export/"]["get"]
    assert set(export["responses"]["200"]["content"]) == {
        "text/csv",
        "application/zip",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    assert {p["name"] for p in export["parameters"]} >= {
        "format",
        "history",
        "status",
        "guest_type",
        "company",
        "search",
        "created_after",
        "created_before",
        "ordering",
    }


def test_exported_timestamps_are_isoformat_in_utc_with_and_without_a_fraction(org_client, event):
    """On PostgreSQL PostgreSQL formats them (exports.IsoFormatUTC), elsewhere
    Python does: the same text either way, the fraction only when not zero."""
    import datetime as dt

    from registrants.models import StatusChange

    whole = make_registrant(event, name="Whole")
    fraction = make_registrant(event, name="Fraction")
    Registrant.objects.filter(pk=whole.pk).update(
        created_at=dt.datetime(2026, 11, 26, 18, 0, 5, tzinfo=dt.UTC),
        updated_at=dt.datetime(2026, 11, 26, 19, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    )
    Registrant.objects.filter(pk=fraction.pk).update(
        created_at=dt.datetime(2026, 11, 26, 18, 0, 5, 7, tzinfo=dt.UTC),
        updated_at=dt.datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=dt.UTC),
    )
    expected = {
        "Whole": ["2026-11-26T18:00:05+00:00", "2026-11-26T17:30:00+00:00"],
        "Fraction": ["2026-11-26T18:00:05.000007+00:00", "2026-01-02T03:04:05.120000+00:00"],
    }
    rows = read_csv(org_client.get(f"/api/v1/events/{event.pk}/export/?format=csv"))
    assert {r[1]: r[6:8] for r in rows[1:]} == expected
    for r in Registrant.objects.filter(event=event):
        assert expected[r.name] == [r.created_at.isoformat(), r.updated_at.isoformat()]

    response = org_client.get(f"/api/v1/events/{event.pk}/export/?format=csv&history=1")
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        history = list(csv.reader(io.StringIO(archive.read("history.csv").decode("utf-8-sig"))))
    stored = {
        c.registrant.name: c.at.isoformat()
        for c in StatusChange.objects.filter(event=event).select_related("registrant")
    }
    assert {r[1]: r[4] for r in history[1:]} == stored


def test_an_export_whose_query_fails_answers_an_error_not_a_cut_file(
    org_client, event, crowd, monkeypatch
):
    """The first chunk (the query) is made before any header is sent."""
    from django.db import OperationalError

    from imports import exports

    def failing_rows(queryset, *, with_codes):
        yield exports.REGISTRANT_HEADER
        raise OperationalError("the database went away")

    monkeypatch.setattr(exports, "registrant_rows", failing_rows)
    response = org_client.get(f"/api/v1/events/{event.pk}/export/")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
