"""The webhooks API: organisers only, the error shape, the delivery log and
replay, and the payloads documented in the OpenAPI schema."""

from __future__ import annotations

import pytest

from accounts.models import EventAssignment
from conftest import client_for
from registrants.roles import VIEWER
from registrants.tests.factories import EventFactory, make_registrant, make_user
from webhooks import dispatch
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db


def create(client, event, url, **extra):
    return client.post(f"/api/v1/events/{event.pk}/webhooks/", {"url": url, **extra}, format="json")


def test_an_organiser_registers_an_endpoint_and_reads_its_log(org_client, event, receiver):
    answer = create(org_client, event, receiver.url, description="CRM")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["secret"].startswith("whsec_") and body["include_check_in_codes"] is False
    assert org_client.get(f"/api/v1/events/{event.pk}/webhooks/").json()[0]["id"] == body["id"]
    make_registrant(event)
    dispatch.send_due()
    log = org_client.get(f"/api/v1/webhooks/{body['id']}/deliveries/").json()
    assert log[0]["state"] == "delivered" and log[0]["attempt_log"][0]["status_code"] == 200
    replay = org_client.post(f"/api/v1/webhook-deliveries/{log[0]['id']}/replay/")
    assert replay.status_code == 202 and replay.json()["replay_of"] == log[0]["id"]
    dispatch.send_due()
    assert len(receiver.requests) == 2


def test_patch_switches_off_and_delete_removes(org_client, event, receiver):
    pk = create(org_client, event, receiver.url).json()["id"]
    answer = org_client.patch(f"/api/v1/webhooks/{pk}/", {"active": False}, format="json")
    assert answer.status_code == 200 and answer.json()["active"] is False
    make_registrant(event)
    assert not Delivery.objects.exists()  # switched off: nothing recorded
    assert org_client.delete(f"/api/v1/webhooks/{pk}/").status_code == 204
    assert not Endpoint.objects.exists()
    assert org_client.get(f"/api/v1/webhooks/{pk}/").status_code == 404


@pytest.mark.parametrize(
    "body",
    [{"url": "not a url"}, {"url": "ftp://example.com/"}, {}, {"url": "http://x/", "active": 3}],
)
def test_bad_input_is_400_in_the_error_shape(org_client, event, body):
    answer = org_client.post(f"/api/v1/events/{event.pk}/webhooks/", body, format="json")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "validation_error"


def test_a_private_address_is_400_when_not_allowed(org_client, event, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    answer = create(org_client, event, "http://169.254.169.254/")
    assert answer.status_code == 400 and "url" in answer.json()["error"]["fields"]


def test_missing_event_is_404(org_client):
    assert (
        create(org_client, type("E", (), {"pk": 999999})(), "http://127.0.0.1/").status_code == 404
    )


@pytest.mark.parametrize("who", ["staff_client", "viewer_client", "anon_client"])
def test_staff_viewers_and_strangers_may_not(request, who, event, organiser, receiver):
    client = request.getfixturevalue(who)
    endpoint = Endpoint.objects.create(event=event, url=receiver.url)
    expected = 401 if who == "anon_client" else 403
    assert create(client, event, receiver.url).status_code == expected
    assert client.get(f"/api/v1/webhooks/{endpoint.pk}/").status_code == expected
    assert client.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").status_code == expected


def test_a_user_limited_to_other_events_gets_403(receiver):
    from django.contrib.auth.models import Permission

    mine, other = EventFactory(), EventFactory()
    user = make_user("limited", VIEWER)
    user.user_permissions.add(Permission.objects.get(codename="change_event"))
    EventAssignment.objects.create(user=user, event=mine)
    client = client_for(user)
    theirs = Endpoint.objects.create(event=other, url=receiver.url)
    assert client.get(f"/api/v1/webhooks/{theirs.pk}/").status_code == 403
    assert client.get(f"/api/v1/events/{other.pk}/webhooks/").status_code == 403
    assert create(client, other, receiver.url).status_code == 403
    assert create(client, mine, receiver.url).status_code == 201


def test_codes_asked_by_a_user_who_may_not_see_them_is_403(event, viewer, receiver):
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="change_event"))
    answer = create(client_for(viewer), event, receiver.url, include_check_in_codes=True)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "permission_denied"


def test_the_schema_documents_the_api_and_the_payloads(anon_client):
    schema = anon_client.get("/api/schema/?format=json").json()
    assert schema["openapi"].startswith("3.0")
    hooks = schema["x-webhooks"]
    assert set(hooks) == {"registrant.registered", "registrant.status_changed"}
    ref = hooks["registrant.status_changed"]["post"]["requestBody"]["content"]["application/json"]
    name = ref["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"id", "type", "version", "created_at", "event", "data"} <= set(
        schema["components"]["schemas"][name]["properties"]
    )
    assert "/api/v1/events/{id}/webhooks/" in schema["paths"]
    assert "/api/v1/webhook-deliveries/{id}/replay/" in schema["paths"]
