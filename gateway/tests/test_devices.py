"""Device tokens: event-scoped, scan-only, revocable at once, throttled per device."""

from __future__ import annotations

import time

import httpx
import pytest
from rest_framework.test import APIClient

from conftest import client_for
from gateway.models import DeviceToken
from registrants.models import ScanReceipt
from registrants.tests.factories import EventFactory, make_registrant

from .conftest import bearer, gateway_server, user_token

pytestmark = pytest.mark.django_db(transaction=True)


def test_organisers_create_list_and_revoke_devices(event, organiser, staff):
    api = client_for(organiser)
    created = api.post(f"/api/v1/events/{event.pk}/devices/", {"name": "Door B"}, format="json")
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("rdd_") and not DeviceToken.objects.filter(key_hash=key).exists()
    listed = api.get(f"/api/v1/events/{event.pk}/devices/").json()["results"]
    assert [(d["name"], d["active"], "key" in d) for d in listed] == [("Door B", True, False)]
    device_id = listed[0]["id"]
    assert api.delete(f"/api/v1/events/{event.pk}/devices/{device_id}/").status_code == 204
    assert DeviceToken.objects.get(pk=device_id).revoked_at is not None
    assert api.get(f"/api/v1/events/{event.pk}/devices/999999/").status_code == 405
    assert api.delete(f"/api/v1/events/{event.pk}/devices/999999/").status_code == 404
    assert (
        api.post("/api/v1/events/999999/devices/", {"name": "x"}, format="json").status_code == 404
    )
    staff_api = client_for(staff)
    assert staff_api.get(f"/api/v1/events/{event.pk}/devices/").status_code == 403
    assert (
        staff_api.post(
            f"/api/v1/events/{event.pk}/devices/", {"name": "x"}, format="json"
        ).status_code
        == 403
    )
    assert staff_api.get(f"/api/v1/events/{event.pk}/scan-conflicts/").status_code == 403


def test_device_scans_as_its_own_user(gateway, event, device_key):
    person = make_registrant(event)
    r = gateway.post(
        "/gateway/v1/scan",
        json={"code": person.check_in_code, "mode": "desk"},
        headers=bearer(device_key),
    )
    assert r.status_code == 200 and r.json()["changed"] is True
    again = gateway.post(
        "/gateway/v1/scan",
        json={"code": person.check_in_code, "mode": "desk"},
        headers=bearer(device_key),
    ).json()
    assert again["previous"]["by"] == "Door A"
    device = DeviceToken.objects.get()
    assert person.history.order_by("-id").first().actor_id == device.user_id


@pytest.mark.parametrize("nonce", [None, "n-stranger"])
def test_badge_of_another_event_is_409_wrong_event(gateway, device_key, nonce):
    stranger = make_registrant(EventFactory(name="Last Year"), name="Stan")
    body = {"code": stranger.check_in_code, "mode": "desk"}
    if nonce:
        body["nonce"] = nonce
    r = gateway.post("/gateway/v1/scan", json=body, headers=bearer(device_key))
    assert r.status_code == 409 and r.json()["error"]["code"] == "wrong_event"
    details = r.json()["error"]["details"]
    assert details["event"] == {"id": stranger.event_id, "name": "Last Year"}
    assert details["registrant"]["name"] == "Stan"
    assert "Last Year" in r.json()["error"]["message"]
    stranger.refresh_from_db()
    assert stranger.status == "registered"
    assert not ScanReceipt.objects.exists()


def test_device_naming_another_event_is_409(gateway, event, device_key):
    person = make_registrant(event)
    body = {"code": person.check_in_code, "mode": "desk", "event": EventFactory().pk}
    r = gateway.post("/gateway/v1/scan", json=body, headers=bearer(device_key))
    assert r.status_code == 409 and r.json()["error"]["code"] == "event_mismatch"
    person.refresh_from_db()
    assert person.status == "registered"
    body["event"] = event.pk  # its own event, said out loud: fine
    assert (
        gateway.post("/gateway/v1/scan", json=body, headers=bearer(device_key)).status_code == 200
    )


def test_user_token_scans_need_an_event(gateway, staff):
    person = make_registrant()
    body = {"code": person.check_in_code, "mode": "desk"}
    r = gateway.post("/gateway/v1/scan", json=body, headers=bearer(user_token(staff)))
    assert r.status_code == 400 and "event" in r.json()["error"]["fields"]
    person.refresh_from_db()
    assert person.status == "registered"


def test_revoked_is_refused_at_once(gateway, event, organiser, device_key):
    person = make_registrant(event)
    body = {"code": person.check_in_code, "mode": "desk"}
    assert (
        gateway.post("/gateway/v1/scan", json=body, headers=bearer(device_key)).status_code == 200
    )
    device = DeviceToken.objects.get()
    client_for(organiser).delete(f"/api/v1/events/{event.pk}/devices/{device.pk}/")
    r = gateway.post("/gateway/v1/scan", json=body, headers=bearer(device_key))
    assert r.status_code == 401 and r.json()["error"]["code"] == "authentication_failed"


def test_a_deleted_user_token_is_refused_at_once(gateway, staff):
    from accounts.models import ApiToken
    from accounts.tokens import hash_key

    person = make_registrant()
    key = user_token(staff)
    body = {"code": person.check_in_code, "mode": "desk", "event": person.event_id}
    assert gateway.post("/gateway/v1/scan", json=body, headers=bearer(key)).status_code == 200
    ApiToken.objects.filter(key_hash=hash_key(key)).delete()
    assert gateway.post("/gateway/v1/scan", json=body, headers=bearer(key)).status_code == 401


def test_device_tokens_cannot_use_the_api(event, device_key):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {device_key}")
    assert api.get("/api/v1/registrants/").status_code == 401
    assert api.get(f"/api/v1/events/{event.pk}/").status_code == 401
    person = make_registrant(event)
    assert (
        api.post(
            "/api/v1/scan/", {"code": person.check_in_code, "mode": "desk"}, format="json"
        ).status_code
        == 401
    )


def test_throttled_per_device(gateway, event, organiser, settings):
    from gateway import services

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"scan": "3/min"},
    }
    _, key_a = services.device_create(event_id=event.pk, name="A")
    _, key_b = services.device_create(event_id=event.pk, name="B")
    person = make_registrant(event)
    body = {"code": person.check_in_code, "mode": "desk"}
    codes = [
        gateway.post("/gateway/v1/scan", json=body, headers=bearer(key_a)).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    r = gateway.post("/gateway/v1/scan", json=body, headers=bearer(key_a))
    assert r.status_code == 429 and r.json()["error"]["code"] == "throttled"
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert gateway.post("/gateway/v1/scan", json=body, headers=bearer(key_b)).status_code == 200


@pytest.mark.postgres
def test_revoked_refused_at_once_by_another_process(event, organiser, device_key, settings):
    """Two gateway processes and this one share Redis: a revocation made here
    is refused by both servers within a second (each keeps a token's
    principal for GATEWAY_NEAR_CACHE_SECONDS, 0.5 s), and from then on
    always."""
    if not settings.REDIS_URL:
        pytest.fail("REDIS_URL is needed for the multi-process revocation test")
    person = make_registrant(event)
    body = {"code": person.check_in_code, "mode": "desk"}
    with gateway_server(workers=2) as base, httpx.Client(base_url=base) as client:
        for _ in range(4):  # warm both workers' view of the cached token
            assert (
                client.post("/gateway/v1/scan", json=body, headers=bearer(device_key)).status_code
                == 200
            )
        device = DeviceToken.objects.get()
        client_for(organiser).delete(f"/api/v1/events/{event.pk}/devices/{device.pk}/")
        revoked_at = time.monotonic()
        answers = []
        while time.monotonic() - revoked_at < 1.0:
            answers.append(
                client.post("/gateway/v1/scan", json=body, headers=bearer(device_key)).status_code
            )
        # Both workers served some of these; whatever came first, the last
        # answers of the second are refusals, and so is everything after.
        assert answers[-1] == 401 and set(answers) <= {200, 401}
        codes = {
            client.post("/gateway/v1/scan", json=body, headers=bearer(device_key)).status_code
            for _ in range(20)
        }
        assert codes == {401}


def test_conflicts_page(client, event, organiser, staff):
    from gateway.models import ScanConflict

    person = make_registrant(event, name="Carla Cancelled", status="cancelled")
    from django.utils import timezone

    ScanConflict.objects.create(
        event=event,
        registrant=person,
        code=person.check_in_code,
        mode="entry",
        reason="cancelled",
        status="cancelled",
        nonce="n1",
        scanned_at=timezone.now(),
        received_at=timezone.now(),
    )
    client.force_login(organiser)
    page = client.get(f"/events/{event.pk}/conflicts/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Carla Cancelled" in text and "Cancelled meanwhile" in text and "Scan conflicts" in text
    assert client.get(f"/events/{event.pk}/dashboard/").content.decode().count("/conflicts/") == 1
    client.force_login(staff)
    assert client.get(f"/events/{event.pk}/conflicts/").status_code == 403


def test_created_device_reports_its_event_as_an_integer(event, organiser):
    """Found by the API fuzzer: the URL's event id leaked into the answer as a
    string, against the schema's integer."""
    created = client_for(organiser).post(
        f"/api/v1/events/{event.pk}/devices/", {"name": "Door C"}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["event"] == event.pk
