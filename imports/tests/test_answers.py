"""The registration page's questions in imports and exports: a column named
like a question is read as its answers (an invalid answer is a row error),
and the export has one column per question."""

from __future__ import annotations

import csv
import io

import pytest

from imports import parsing, services
from imports.models import ImportRowError
from registrants.models import Registrant
from registrants.tests.factories import EventFactory, make_registrant
from signup import services as signup_services
from signup.models import Answer
from signup.questions import RESERVED_KEYS, label_key

from .conftest import csv_bytes, upload_file

HEADER = ("name", "email", "Dietary needs", "wheelchair_access", "Shoe size")
ROWS = [
    ("Ann", "ann@example.com", "vegan", "Yes", "38"),
    ("Bob", "bob@example.com", "", "no", "44"),
    ("Cy", "cy@example.com", "Pescatarian", "", ""),
    ("Di", "di@example.com", "None", "maybe", ""),
    ("Ed", "ed@example.com", "Vegetarian", "", ""),
]


def _event_with_questions(capacity=100):
    event = EventFactory(capacity=capacity)
    diet = signup_services.question_create(
        event_id=event.pk,
        actor=None,
        label="Dietary needs",
        kind="choice",
        choices=["None", "Vegetarian", "Vegan"],
    )
    access = signup_services.question_create(
        event_id=event.pk, actor=None, label="Wheelchair access", kind="yes_no"
    )
    return event, diet, access


def _run(event, content, actor, mode="valid_rows"):
    job = services.import_job_create(
        event_id=event.pk, upload=upload_file(content), actor=actor, mode=mode, force=False
    )
    services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def _answers(event):
    return {
        (a.registrant.name, a.question.label): a.value
        for a in Answer.objects.filter(registrant__event=event).select_related(
            "registrant", "question"
        )
    }


def _check_import(organiser):
    event, diet, access = _event_with_questions()
    job = _run(event, csv_bytes(ROWS, header=HEADER), organiser)
    assert (job.state, job.created, job.failed) == ("done", 3, 2)
    assert _answers(event) == {
        ("Ann", "Dietary needs"): "Vegan",
        ("Ann", "Wheelchair access"): "yes",
        ("Bob", "Wheelchair access"): "no",
        ("Ed", "Dietary needs"): "Vegetarian",
    }
    errors = list(
        ImportRowError.objects.filter(job=job).order_by("row").values_list("row", "column")
    )
    assert errors == [(4, "Dietary needs"), (5, "Wheelchair access")]
    assert not Registrant.objects.filter(name__in=["Cy", "Di"]).exists()


@pytest.mark.django_db
def test_question_columns_are_imported_and_invalid_answers_are_row_errors(organiser):
    _check_import(organiser)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_question_columns_are_imported_on_the_streaming_path(organiser):
    _check_import(organiser)


@pytest.mark.django_db
def test_an_invalid_answer_fails_an_all_or_nothing_import(organiser):
    event, _, _ = _event_with_questions()
    job = _run(event, csv_bytes(ROWS, header=HEADER), organiser, mode="all_or_nothing")
    assert job.state == "failed"
    assert not Registrant.objects.filter(event=event).exists() and not Answer.objects.exists()


@pytest.mark.django_db
def test_answers_of_rows_over_capacity_are_not_written(organiser):
    event, _, _ = _event_with_questions(capacity=1)
    rows = [ROWS[1], ROWS[0]]  # Bob fits, Ann is over capacity
    job = _run(event, csv_bytes(rows, header=HEADER), organiser)
    assert job.created == 1
    assert _answers(event) == {("Bob", "Wheelchair access"): "no"}


@pytest.mark.django_db
def test_a_column_matching_no_question_is_still_ignored(organiser):
    event, _, _ = _event_with_questions()
    job = _run(event, csv_bytes([ROWS[1]], header=HEADER), organiser)
    assert job.created == 1 and job.failed == 0
    assert "Shoe size" not in {a.question.label for a in Answer.objects.all()}


def test_question_labels_may_not_take_the_import_and_export_headers():
    aliases = {a for aliases in parsing.COLUMNS.values() for a in aliases}
    from imports.exports import REGISTRANT_HEADER

    assert aliases <= RESERVED_KEYS
    assert {label_key(h) for h in [*REGISTRANT_HEADER, "check_in_code"]} <= RESERVED_KEYS


@pytest.mark.django_db
def test_the_export_has_one_column_per_question(org_client):
    event, diet, access = _event_with_questions()
    ann = make_registrant(event, name="Ann")
    bob = make_registrant(event, name="Bob")
    Answer.objects.create(registrant=ann, question=diet, value="Vegan")
    Answer.objects.create(registrant=bob, question=access, value="=cmd")
    response = org_client.get(f"/api/v1/events/{event.pk}/export/?format=csv&ordering=name")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][-2:] == ["Dietary needs", "Wheelchair access"]
    assert rows[1][1] == "Ann" and rows[1][-2:] == ["Vegan", ""]
    assert rows[2][1] == "Bob" and rows[2][-2:] == ["", "'=cmd"]  # neutralised


@pytest.mark.django_db
def test_the_xlsx_export_has_the_question_columns_too(org_client):
    import openpyxl

    event, diet, _ = _event_with_questions()
    ann = make_registrant(event, name="Ann")
    Answer.objects.create(registrant=ann, question=diet, value="Vegan")
    response = org_client.get(f"/api/v1/events/{event.pk}/export/?format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header, first = list(sheet.iter_rows(values_only=True))[:2]
    assert header[-2:] == ("Dietary needs", "Wheelchair access")
    assert first[-2:] == ("Vegan", None)


@pytest.mark.django_db
def test_an_exported_file_imports_its_answers_back(org_client, organiser):
    event, diet, access = _event_with_questions()
    ann = make_registrant(event, name="Ann")
    Answer.objects.create(registrant=ann, question=diet, value="Vegan")
    text = b"".join(
        org_client.get(f"/api/v1/events/{event.pk}/export/?format=csv").streaming_content
    )
    copy, _, _ = _event_with_questions()
    # The copy's questions have the same labels (new ids): the headers map.
    job = _run(copy, text, organiser)
    assert job.created == 1
    assert _answers(copy) == {("Ann", "Dietary needs"): "Vegan"}
