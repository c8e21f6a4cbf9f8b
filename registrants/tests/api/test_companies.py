"""Companies CRUD and merge."""

from __future__ import annotations

from registrants.models import Company, Registrant, StatusChange
from registrants.tests.factories import CompanyFactory, make_registrant

from .conftest import assert_error


def test_create_keeps_first_spelling(org_client):
    response = org_client.post("/api/v1/companies/", {"name": "  Big   Corp "}, format="json")
    assert response.status_code == 201
    assert response.json()["name"] == "Big Corp"
    assert_error(
        org_client.post("/api/v1/companies/", {"name": "BIG CORP"}, format="json"),
        409,
        "company_exists",
    )


def test_read_rename_delete(org_client):
    company = CompanyFactory(name="Old")
    assert org_client.get(f"/api/v1/companies/{company.pk}/").json()["registrant_count"] == 0
    assert (
        org_client.patch(f"/api/v1/companies/{company.pk}/", {"name": "New"}, format="json").json()[
            "name"
        ]
        == "New"
    )
    assert org_client.delete(f"/api/v1/companies/{company.pk}/").status_code == 204
    assert not Company.objects.filter(pk=company.pk).exists()


def test_delete_with_registrants_refused(org_client, data):
    assert_error(
        org_client.delete(f"/api/v1/companies/{data['company'].pk}/"),
        409,
        "company_has_registrants",
    )


def test_merge_moves_registrants_keeps_history(org_client, event):
    google = CompanyFactory(name="Google")
    inc = CompanyFactory(name="Alphabet")
    moved = [make_registrant(event, company="Alphabet", status="checked_in") for _ in range(2)]
    stay = make_registrant(event, company="Google")
    history = StatusChange.objects.count()
    response = org_client.post(
        f"/api/v1/companies/{inc.pk}/merge/", {"into": google.pk}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {**response.json(), "id": google.pk, "registrant_count": 3}
    assert not Company.objects.filter(pk=inc.pk).exists()
    assert set(Registrant.objects.filter(company=google).values_list("pk", flat=True)) == {
        *(r.pk for r in moved),
        stay.pk,
    }
    assert StatusChange.objects.count() == history


def test_merge_into_itself_or_missing(org_client, data):
    pk = data["company"].pk
    assert_error(
        org_client.post(f"/api/v1/companies/{pk}/merge/", {"into": pk}, format="json"),
        400,
        "validation_error",
    )
    assert_error(
        org_client.post(f"/api/v1/companies/{pk}/merge/", {"into": 999999}, format="json"),
        400,
        "validation_error",
    )
    assert Company.objects.filter(pk=pk).exists()
