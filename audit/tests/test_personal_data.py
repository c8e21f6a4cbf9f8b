"""A subject access export: everything held about one registrant as JSON,
organisers only, audited; after an erasure only what remains. Both databases."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from audit.models import Action, AuditEntry
from conftest import client_for
from registrants import services
from registrants.erasure import ERASED_NAME
from registrants.models import ScanReceipt
from registrants.tests.factories import make_registrant

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(event, organiser):
    organiser.first_name, organiser.last_name = "Olga", "Org"
    organiser.save()
    return make_registrant(
        event,
        name="Ada Lovelace",
        email="ada@example.com",
        company="Acme",
        status="entered",
        actor=organiser,
    )


def _export(client, pk: int) -> dict:
    response = client.get(f"/api/v1/registrants/{pk}/personal-data/")
    assert response.status_code == 200, response.content
    assert response["Content-Disposition"] == (
        f'attachment; filename="registrant-{pk}-personal-data.json"'
    )
    return response.json()


def test_the_export_holds_the_profile_the_history_with_names_and_the_audit(
    org_client, organiser, ada, event
):
    services.registrant_update(registrant_id=ada.pk, company_name="Globex", actor=organiser)
    data = _export(org_client, ada.pk)
    profile = data["registrant"]
    assert (profile["name"], profile["email"], profile["company"]) == (
        "Ada Lovelace",
        "ada@example.com",
        "Globex",
    )
    assert profile["event"] == {"id": event.pk, "name": event.name, "date": event.date.isoformat()}
    assert profile["check_in_code"] == ada.check_in_code and profile["erased_at"] is None
    assert [(c["from_status"], c["to_status"], c["actor"]) for c in data["status_history"]] == [
        (None, "registered", "Olga Org"),
        ("registered", "checked_in", "Olga Org"),
        ("checked_in", "entered", "Olga Org"),
    ]
    assert [(e["action"], e["actor"]) for e in data["audit_entries"]] == [
        ("registrant_edited", "Olga Org"),
        ("personal_data_exported", "Olga Org"),
    ]
    assert data["format_version"] == 1


def test_the_export_is_audited_with_its_request_id(org_client, organiser, ada):
    org_client.get(f"/api/v1/registrants/{ada.pk}/personal-data/", HTTP_X_REQUEST_ID="sar-1")
    entry = AuditEntry.objects.get(action=Action.PERSONAL_DATA_EXPORTED)
    assert (entry.registrant_id, entry.actor_id, entry.request_id) == (
        ada.pk,
        organiser.pk,
        "sar-1",
    )


def test_scan_receipts_about_the_registrant_are_included(org_client, organiser, ada, event):
    other = make_registrant(event, name="Bob")
    ScanReceipt.objects.create(
        user=organiser, nonce="n1", response={"registrant": {"id": ada.pk, "name": "Ada Lovelace"}}
    )
    ScanReceipt.objects.create(
        user=organiser, nonce="n2", response={"registrant": {"id": other.pk, "name": "Bob"}}
    )
    receipts = _export(org_client, ada.pk)["scan_receipts"]
    assert [r["response"]["registrant"]["id"] for r in receipts] == [ada.pk]


def test_an_erased_registrant_exports_only_what_remains(org_client, organiser, ada):
    ScanReceipt.objects.create(
        user=organiser, nonce="n1", response={"registrant": {"id": ada.pk, "name": "Ada Lovelace"}}
    )
    assert org_client.delete(f"/api/v1/registrants/{ada.pk}/").status_code == 204
    data = _export(org_client, ada.pk)
    text = json.dumps(data)
    for value in ("Ada Lovelace", "ada@example.com", "Acme", ada.check_in_code):
        assert value not in text
    assert data["registrant"]["name"] == ERASED_NAME and data["registrant"]["erased_at"]
    assert len(data["status_history"]) == 3
    assert len(data["scan_receipts"]) == 1  # scrubbed by the erasure, still there
    assert [e["action"] for e in data["audit_entries"]] == [
        "registrant_erased",
        "personal_data_exported",
    ]


def test_the_registrant_page_links_the_export_for_organisers_only(organiser, viewer, ada):
    url = f"/api/v1/registrants/{ada.pk}/personal-data/"
    org_web, viewer_web = Client(), Client()
    org_web.force_login(organiser)
    viewer_web.force_login(viewer)
    assert url in org_web.get(f"/registrants/{ada.pk}/").content.decode()
    assert url not in viewer_web.get(f"/registrants/{ada.pk}/").content.decode()
    assert org_web.get(url).json()["registrant"]["id"] == ada.pk  # with the session


@pytest.mark.parametrize("role", ["viewer", "staff"])
def test_viewers_and_staff_get_a_403_and_nothing_is_audited(role, request, ada):
    client = client_for(request.getfixturevalue(role))
    response = client.get(f"/api/v1/registrants/{ada.pk}/personal-data/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not AuditEntry.objects.filter(action=Action.PERSONAL_DATA_EXPORTED).exists()


@pytest.mark.parametrize("pk", ["999999", "999999999999999999"])
def test_an_unknown_registrant_is_a_404(org_client, pk):
    response = org_client.get(f"/api/v1/registrants/{pk}/personal-data/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
