"""Deleting a registrant erases the person and rewrites nothing of the past:
the history rows stay, every figure of the event reads the same, and the
person's name, email, company and code are gone from the registrant, the
stored scan answers, the admin log and the exports (registrants/erasure.py).
Runs on both databases."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.contrib.admin.models import LogEntry
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from registrants import services
from registrants.erasure import ERASED_NAME, scrub_answer
from registrants.lifecycle import Status
from registrants.models import Registrant, ScanReceipt, StatusChange
from registrants.tests.api.conftest import assert_error
from registrants.tests.factories import EventFactory, make_registrant

pytestmark = pytest.mark.django_db

FIGURES = ("total", "attendees", "on_site", "seats_left", "by_status", "by_guest_type")


@pytest.fixture
def crowd(event):
    return {
        "ada": make_registrant(event, name="Ada Lovelace", company="Acme", status="entered"),
        "bob": make_registrant(event, name="Bob", status="checked_in"),
        "cy": make_registrant(event, name="Cy", status="exited"),
        "di": make_registrant(event, name="Di", status="cancelled"),
        "ed": make_registrant(event, name="Ed"),
    }


def _stats(client, event) -> dict:
    response = client.get(f"/api/v1/events/{event.pk}/stats/")
    assert response.status_code == 200
    return response.json()


def _history(pk: int) -> list[dict]:
    return list(StatusChange.objects.filter(registrant_id=pk).order_by("id").values())


@pytest.mark.parametrize("who", ["ada", "bob", "cy", "di", "ed"])
def test_every_figure_of_the_event_is_the_same_after_a_deletion(org_client, event, crowd, who):
    before = _stats(org_client, event)
    history = _history(crowd[who].pk)
    assert org_client.delete(f"/api/v1/registrants/{crowd[who].pk}/").status_code == 204
    after = _stats(org_client, event)
    assert {k: after[k] for k in FIGURES} == {k: before[k] for k in FIGURES}
    assert after["arrivals"] == before["arrivals"]
    assert sum(b["count"] for b in after["arrivals"]) == 3
    assert after["occupancy"] == before["occupancy"]
    assert _history(crowd[who].pk) == history


def test_the_registrant_keeps_its_status_and_loses_the_person(org_client, event, crowd):
    ada = crowd["ada"]
    old_code = ada.check_in_code
    services.registrant_delete(registrant_id=ada.pk)
    ada.refresh_from_db()
    assert ada.erased_at is not None
    assert (ada.name, ada.company_id, ada.status) == (ERASED_NAME, None, Status.ENTERED)
    assert ada.email == f"erased-{ada.pk}@erased.invalid"
    assert ada.check_in_code != old_code and len(ada.check_in_code) == 32
    body = org_client.get(f"/api/v1/registrants/{ada.pk}/").json()
    assert "Lovelace" not in str(body) and old_code not in str(body)
    assert body["check_in_code"] is None
    listed = org_client.get(f"/api/v1/registrants/?event={event.pk}").content.decode()
    assert "Lovelace" not in listed and ada.check_in_code not in listed


def test_history_rows_cannot_go_by_any_path(event, crowd):
    ada = crowd["ada"]
    with pytest.raises(ProtectedError):
        Registrant.objects.get(pk=ada.pk).delete()
    with pytest.raises(ProtectedError):
        Registrant.objects.filter(pk=ada.pk).delete()
    # Below the ORM: the foreign key itself refuses (no ON DELETE CASCADE).
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {Registrant._meta.db_table} WHERE id = %s", [ada.pk])
        connection.check_constraints(table_names=[StatusChange._meta.db_table])
    assert len(_history(ada.pk)) == 3


def test_an_erased_registrant_cannot_be_edited_moved_or_scanned(org_client, staff_client, crowd):
    bob = crowd["bob"]
    services.registrant_delete(registrant_id=bob.pk)
    bob.refresh_from_db()
    assert_error(
        org_client.patch(f"/api/v1/registrants/{bob.pk}/", {"name": "Back"}, format="json"),
        409,
        "erased",
    )
    assert_error(
        org_client.post(
            f"/api/v1/registrants/{bob.pk}/transitions/", {"to_status": "entered"}, format="json"
        ),
        409,
        "erased",
    )
    # Its new code is never shown; were it known, the scan is still refused.
    assert_error(
        staff_client.post(
            "/api/v1/scan/", {"code": bob.check_in_code, "event": bob.event_id, "mode": "entry"}
        ),
        409,
        "erased",
    )
    [row] = services.registrants_bulk_change_status(registrant_ids=[bob.pk], to_status="cancelled")
    assert (row.ok, row.error_code) == (False, "erased")
    bob.refresh_from_db()
    assert (bob.name, bob.status) == (ERASED_NAME, Status.CHECKED_IN)
    assert len(_history(bob.pk)) == 2


def test_the_old_code_is_unknown_to_the_scan_api(staff_client, crowd):
    ed = crowd["ed"]
    services.registrant_delete(registrant_id=ed.pk)
    response = staff_client.post(
        "/api/v1/scan/", {"code": ed.check_in_code, "event": ed.event_id, "mode": "desk"}
    )
    assert_error(response, 404, "not_found")
    assert len(_history(ed.pk)) == 1


def test_stored_scan_answers_lose_the_name_and_a_replay_shows_the_erased_label(staff_client, crowd):
    ada, di, bob = crowd["ada"], crowd["di"], crowd["bob"]
    first = staff_client.post(
        "/api/v1/scan/",
        {"code": ada.check_in_code, "event": ada.event_id, "mode": "desk", "nonce": "n-ada"},
    )
    assert first.json()["message"].startswith("Ada Lovelace: already entered")
    refused = staff_client.post(
        "/api/v1/scan/",
        {"code": di.check_in_code, "event": di.event_id, "mode": "desk", "nonce": "n-di"},
    )
    assert refused.status_code == 409
    other = staff_client.post(
        "/api/v1/scan/",
        {"code": bob.check_in_code, "event": bob.event_id, "mode": "desk", "nonce": "n-bob"},
    )
    services.registrant_delete(registrant_id=ada.pk)
    services.registrant_delete(registrant_id=di.pk)
    stored = {r.nonce: r.response for r in ScanReceipt.objects.all()}
    assert "Lovelace" not in str(stored) and "Acme" not in str(stored)
    assert stored["n-ada"]["registrant"]["name"] == ERASED_NAME
    assert stored["n-ada"]["registrant"]["company"] is None
    assert stored["n-ada"]["message"].startswith(f"{ERASED_NAME}: already entered")
    assert stored["n-di"]["error"]["details"]["registrant"]["name"] == ERASED_NAME
    assert stored["n-di"]["error"]["message"] == f"{ERASED_NAME}'s registration is cancelled."
    assert stored["n-bob"] == other.json()  # someone else's answer is untouched
    replay = staff_client.post(
        "/api/v1/scan/",
        {"code": ada.check_in_code, "event": ada.event_id, "mode": "desk", "nonce": "n-ada"},
    ).json()
    assert replay["registrant"]["name"] == ERASED_NAME


def test_scrubbing_replaces_whole_names_only():
    body = {"message": "Al: already checked in by Alice at 10:00.", "registrant": {"id": 7}}
    scrubbed = scrub_answer(body, {7: "Al"})
    assert scrubbed["message"] == f"{ERASED_NAME}: already checked in by Alice at 10:00."


def test_exports_carry_no_trace_of_the_person(org_client, event, crowd):
    ada = crowd["ada"]
    code = ada.check_in_code
    services.registrant_delete(registrant_id=ada.pk)
    response = org_client.get(f"/api/v1/events/{event.pk}/export/?history=1")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    text = "".join(archive.read(name).decode("utf-8-sig") for name in archive.namelist())
    assert "Lovelace" not in text and "Acme" not in text and code not in text
    rows = list(csv.reader(io.StringIO(archive.read("registrants.csv").decode("utf-8-sig"))))
    [erased] = [r for r in rows if r[0] == str(ada.pk)]
    assert (erased[1], erased[5], erased[8]) == (ERASED_NAME, "entered", "")
    history = list(csv.reader(io.StringIO(archive.read("history.csv").decode("utf-8-sig"))))
    assert [r[1] for r in history if r[0] == str(ada.pk)] == [ERASED_NAME] * 3


def test_the_admin_log_forgets_the_name(admin_client, crowd):
    ada = crowd["ada"]
    # The confirmation lists the registrant alone: nothing else goes.
    confirm = admin_client.get(f"/admin/registrants/registrant/{ada.pk}/delete/")
    assert confirm.status_code == 200
    assert dict(confirm.context["model_count"]) == {"registrants": 1}
    assert confirm.context["protected"] == []
    response = admin_client.post(f"/admin/registrants/registrant/{ada.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    reprs = list(
        LogEntry.objects.filter(object_id=str(ada.pk)).values_list("object_repr", flat=True)
    )
    assert reprs and all(r == ERASED_NAME for r in reprs)


def test_the_admins_bulk_delete_erases_and_keeps_history(admin_client, event, crowd):
    ids = [crowd["ada"].pk, crowd["bob"].pk]
    history = {pk: _history(pk) for pk in ids}
    response = admin_client.post(
        "/admin/registrants/registrant/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code == 302
    assert Registrant.objects.filter(pk__in=ids, name=ERASED_NAME).count() == 2
    assert {pk: _history(pk) for pk in ids} == history
    # The erased are read-only in the admin.
    page = admin_client.get(f"/admin/registrants/registrant/{ids[0]}/change/").content.decode()
    assert 'name="_save"' not in page


def test_a_deleted_registrant_still_holds_its_seat():
    """Decision 0071: the figures stay, so the seat does too; cancel first to free it."""
    event = EventFactory(capacity=1)
    only = make_registrant(event)
    services.registrant_delete(registrant_id=only.pk)
    assert services.seats_taken(event_id=event.pk) == 1
