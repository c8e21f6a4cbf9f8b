"""The audit log: organiser actions that touch personal data are recorded
by who, when, what and on whom (by id), never with the data itself, and
read back by organisers only. Runs on both databases."""

from __future__ import annotations

import json

import pytest
from django.contrib.admin.models import LogEntry  # noqa: F401  (admin installed)
from django.test import Client

from audit.models import Action, AuditEntry
from conftest import client_for
from registrants import services
from registrants.tests.factories import make_registrant, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(event):
    return make_registrant(event, name="Ada Lovelace", email="ada@example.com", company="Acme")


def _only(action: str) -> AuditEntry:
    rows = list(AuditEntry.objects.filter(action=action))
    assert len(rows) == 1, rows
    return rows[0]


def _no_personal_data(entry: AuditEntry, *values: str) -> None:
    text = json.dumps(
        [entry.details, entry.actor_name, entry.request_id, entry.action], default=str
    ).lower()
    for value in values:
        assert value.lower() not in text


def test_an_api_edit_names_the_fields_it_changed_and_not_their_values(org_client, organiser, ada):
    response = org_client.patch(
        f"/api/v1/registrants/{ada.pk}/",
        {"name": "Ada King", "email": "ada@example.com", "guest_type": "speaker"},
        format="json",
        HTTP_X_REQUEST_ID="req-edit-1",
    )
    assert response.status_code == 200
    entry = _only(Action.REGISTRANT_EDITED)
    # The email was sent unchanged and the guest type is no personal data.
    assert entry.details == {"fields": ["name"]}
    assert (entry.actor_id, entry.actor_name) == (organiser.pk, "olga")
    assert (entry.event_id, entry.registrant_id) == (ada.event_id, ada.pk)
    assert entry.request_id == "req-edit-1"
    _no_personal_data(entry, "Ada King", "Ada Lovelace", "ada@example.com")


def test_an_edit_that_changes_nothing_personal_writes_nothing(org_client, ada):
    response = org_client.patch(
        f"/api/v1/registrants/{ada.pk}/", {"name": "Ada Lovelace"}, format="json"
    )
    assert response.status_code == 200
    assert not AuditEntry.objects.exists()


def test_a_company_change_is_recorded_as_company(org_client, ada):
    response = org_client.patch(
        f"/api/v1/registrants/{ada.pk}/", {"company": "Globex"}, format="json"
    )
    assert response.status_code == 200
    assert _only(Action.REGISTRANT_EDITED).details == {"fields": ["company"]}


def test_a_refused_edit_leaves_no_audit_row(org_client, ada):
    """Written in the edit's transaction: an edit that fails is not logged."""
    services.registrant_delete(registrant_id=ada.pk)
    response = org_client.patch(f"/api/v1/registrants/{ada.pk}/", {"name": "X"}, format="json")
    assert response.status_code == 409
    assert not AuditEntry.objects.filter(action=Action.REGISTRANT_EDITED).exists()


def test_a_page_edit_is_recorded_with_its_user(organiser, ada):
    web = Client()
    web.force_login(organiser)
    response = web.post(
        f"/registrants/{ada.pk}/edit/",
        {
            "name": "Ada Lovelace",
            "email": "ada.k@example.com",
            "guest_type": "attendee",
            "company": "Acme",
        },
    )
    assert response.status_code == 302
    entry = _only(Action.REGISTRANT_EDITED)
    assert entry.details == {"fields": ["email"]} and entry.actor_id == organiser.pk


def test_an_erasure_is_recorded_once_and_outlives_the_person(org_client, organiser, ada):
    assert org_client.delete(f"/api/v1/registrants/{ada.pk}/").status_code == 204
    assert org_client.delete(f"/api/v1/registrants/{ada.pk}/").status_code == 204  # a no-op
    entry = _only(Action.REGISTRANT_ERASED)
    assert entry.details == {"reason": "deleted"} and entry.actor_id == organiser.pk
    assert entry.registrant_id == ada.pk
    _no_personal_data(entry, "Ada", "ada@example.com", "Acme")


def test_the_admins_bulk_delete_records_one_row_per_person(organiser, event):
    people = [make_registrant(event, name=f"P{i}") for i in range(3)]
    services.registrants_delete(registrant_ids=[p.pk for p in people], actor=organiser)
    rows = AuditEntry.objects.filter(action=Action.REGISTRANT_ERASED)
    assert sorted(rows.values_list("registrant_id", flat=True)) == sorted(p.pk for p in people)
    assert set(rows.values_list("actor_name", flat=True)) == {"olga"}


def test_an_export_records_format_and_filter_but_hides_the_search(org_client, event, ada):
    response = org_client.get(
        f"/api/v1/events/{event.pk}/export/?format=xlsx&status=registered&search=Lovelace"
    )
    assert response.status_code == 200
    entry = _only(Action.LIST_EXPORTED)
    assert entry.event_id == event.pk and entry.registrant_id is None
    assert entry.details["format"] == "xlsx" and entry.details["history"] is False
    assert entry.details["filter"] == {"search": "(given)", "status": "registered"}
    _no_personal_data(entry, "Lovelace")


def test_the_pages_export_link_is_recorded_under_the_session_user(organiser, event, ada):
    web = Client()
    web.force_login(organiser)
    response = web.get(f"/api/v1/events/{event.pk}/export/?format=csv&history=1")
    assert response.status_code == 200
    entry = _only(Action.LIST_EXPORTED)
    assert entry.actor_id == organiser.pk and entry.details["history"] is True


def test_a_refused_export_is_not_recorded(viewer_client, event, ada):
    assert viewer_client.get(f"/api/v1/events/{event.pk}/export/").status_code == 403
    assert not AuditEntry.objects.exists()


# --- Reading the log -------------------------------------------------------------


def test_organisers_read_the_log_newest_first_with_filters(org_client, event, ada):
    other = make_registrant(event, name="Bob")
    services.registrant_update(registrant_id=ada.pk, name="Ada King")
    services.registrant_delete(registrant_id=other.pk)
    body = org_client.get("/api/v1/audit/").json()
    assert [r["action"] for r in body["results"]] == ["registrant_erased", "registrant_edited"]
    assert body["results"][1]["actor"] == "system" and body["results"][1]["actor_id"] is None
    only_ada = org_client.get(f"/api/v1/audit/?registrant={ada.pk}").json()["results"]
    assert [r["registrant_id"] for r in only_ada] == [ada.pk]
    erased = org_client.get("/api/v1/audit/?action=registrant_erased").json()["results"]
    assert [r["registrant_id"] for r in erased] == [other.pk]
    assert org_client.get(f"/api/v1/audit/?event={event.pk + 1}").json()["results"] == []
    assert org_client.get("/api/v1/audit/?actor=1").json()["results"] == []  # system rows only


def test_the_log_pages_with_a_cursor(org_client, event):
    people = [make_registrant(event, name=f"P{i}") for i in range(3)]
    for p in people:
        services.registrant_delete(registrant_id=p.pk)
    first = org_client.get("/api/v1/audit/?page_size=2").json()
    assert len(first["results"]) == 2 and first["next"]
    second = org_client.get(first["next"]).json()
    assert [r["registrant_id"] for r in second["results"]] == [people[0].pk]


@pytest.mark.parametrize(
    "query",
    ["action=nope", "event=abc", "since=yesterday", "registrant=0", "event=99999999999999999999"],
)
def test_a_bad_filter_is_a_400_in_the_error_shape(org_client, query):
    response = org_client.get(f"/api/v1/audit/?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("role", ["viewer", "staff"])
def test_viewers_and_staff_may_not_read_the_log(role, request):
    client = client_for(request.getfixturevalue(role))
    assert client.get("/api/v1/audit/").status_code == 403


def test_anonymous_callers_get_a_401(anon_client):
    assert anon_client.get("/api/v1/audit/").status_code == 401


def test_a_superuser_reads_the_log(db):
    boss = make_user("boss", None)
    boss.is_superuser = True
    boss.save()
    assert client_for(boss).get("/api/v1/audit/").status_code == 200


def test_an_admin_edit_is_recorded_with_its_user(organiser, ada):
    from django.urls import reverse

    from registrants.tests.test_admin import registrant_post

    organiser.is_staff = True
    organiser.save()
    web = Client()
    web.force_login(organiser)
    response = web.post(
        reverse("admin:registrants_registrant_change", args=[ada.pk]),
        registrant_post(ada, name="Ada King"),
    )
    assert response.status_code == 302
    entry = _only(Action.REGISTRANT_EDITED)
    assert entry.details == {"fields": ["name"]} and entry.actor_id == organiser.pk


def test_printing_badges_and_the_checkin_sheet_is_recorded_as_an_export(organiser, event, ada):
    web = Client()
    web.force_login(organiser)
    assert web.get(f"/events/{event.pk}/badges.pdf?status=registered").status_code == 200
    assert web.get(f"/events/{event.pk}/checkin-sheet.pdf").status_code == 200
    rows = AuditEntry.objects.filter(action=Action.LIST_EXPORTED).order_by("id")
    assert [r.details for r in rows] == [
        {"format": "badges_pdf", "count": 1, "filter": {"status": "registered"}},
        {"format": "checkin_sheet_pdf"},
    ]
    assert {(r.actor_id, r.event_id) for r in rows} == {(organiser.pk, event.pk)}
