"""A registrant's fields are cleaned alike on every path (registrants.fields):
registered through the API or the services, or imported, "Ada   Lovelace"
is stored as "Ada Lovelace"."""

from __future__ import annotations

import pytest

from imports.parsing import RawRow
from imports.validation import validate_row
from registrants import services
from registrants.errors import ApplicationError
from registrants.fields import NAME_MAX
from registrants.models import Registrant
from registrants.tests.factories import make_registrant

from .conftest import assert_error

SPELLINGS = ["Ada   Lovelace", " Ada \u00a0Lovelace ", "Ada  Lovelace "]


def register(client, event, name):
    return client.post(
        "/api/v1/registrants/",
        {"event": event.pk, "name": name, "email": "ada@example.com"},
        format="json",
    )


@pytest.mark.parametrize("name", SPELLINGS)
def test_a_name_registered_through_the_api_has_its_inner_spaces_collapsed(org_client, data, name):
    response = register(org_client, data["event"], name)
    assert response.status_code == 201, response.content[:300]
    assert response.json()["name"] == "Ada Lovelace"
    assert Registrant.objects.get(pk=response.json()["id"]).name == "Ada Lovelace"


def test_a_name_edited_through_the_api_has_its_inner_spaces_collapsed(org_client, data):
    registrant = make_registrant(data["event"], name="Ada")
    response = org_client.patch(
        f"/api/v1/registrants/{registrant.pk}/", {"name": "Ada   Lovelace"}, format="json"
    )
    assert response.status_code == 200, response.content[:300]
    registrant.refresh_from_db()
    assert registrant.name == "Ada Lovelace"


def test_a_name_that_fits_once_collapsed_is_accepted_by_the_api(org_client, data):
    name = "Ada" + " " * NAME_MAX + "Lovelace"
    response = register(org_client, data["event"], name)
    assert response.status_code == 201, response.content[:300]
    assert response.json()["name"] == "Ada Lovelace"


@pytest.mark.parametrize("name", SPELLINGS)
def test_registered_and_imported_names_are_stored_alike(data, name):
    registered = services.registrant_register(
        event_id=data["event"].pk, name=name, email="Ada@Example.COM"
    )
    imported, problems = validate_row(RawRow(2, {"name": name, "email": "Ada@Example.COM"}))
    assert problems == [] and imported is not None
    assert (registered.name, registered.email) == (imported.name, imported.email)
    assert registered.name == "Ada Lovelace"


def test_the_services_refuse_a_name_longer_than_the_column(data):
    before = Registrant.objects.count()
    with pytest.raises(ApplicationError) as refused:
        services.registrant_register(
            event_id=data["event"].pk, name="A" * (NAME_MAX + 1), email="ada@example.com"
        )
    assert refused.value.code == "validation_error" and "name" in refused.value.fields
    assert Registrant.objects.count() == before


def test_a_refused_character_is_answered_by_the_api_as_before(org_client, data):
    response = register(org_client, data["event"], "Ann\u202e")
    body = assert_error(response, 400, "validation_error")
    assert body["message"].startswith("name: Contains U+202E")
    assert list(body["fields"]) == ["name"]
