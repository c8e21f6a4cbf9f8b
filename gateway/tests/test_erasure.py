"""The gateway after a registrant was deleted (erased, registrants/erasure.py):
the old badge is an unknown code, and the answers the gateway stored for
nonce scans no longer name the person."""

from __future__ import annotations

import pytest

from registrants import services
from registrants.erasure import ERASED_NAME
from registrants.models import ScanReceipt, StatusChange
from registrants.tests.factories import make_registrant

from .conftest import bearer, user_token

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_old_code_is_unknown_to_the_gateway(gateway, event, staff, device_key):
    ada = make_registrant(event, name="Ada Lovelace")
    old_code = ada.check_in_code
    services.registrant_delete(registrant_id=ada.pk)
    scan = gateway.post(
        "/gateway/v1/scan",
        json={"code": old_code, "mode": "desk", "event": event.pk},
        headers=bearer(device_key),
    )
    assert scan.status_code == 404
    assert scan.json()["error"]["code"] == "not_found"
    batch = gateway.post(
        "/gateway/v1/scan/batch",
        json={
            "event": event.pk,
            "items": [
                {
                    "code": old_code,
                    "mode": "desk",
                    "nonce": "b1",
                    "scanned_at": "2026-11-26T18:00:00Z",
                }
            ],
        },
        headers=bearer(user_token(staff)),
    )
    assert batch.status_code == 200
    [item] = batch.json()["results"]
    assert (item["result"], item["reason"], item["registrant"]) == (
        "conflict",
        "unknown_code",
        None,
    )
    assert StatusChange.objects.filter(registrant_id=ada.pk).count() == 1


def test_answers_the_gateway_stored_lose_the_name(gateway, event, device_key):
    ada = make_registrant(event, name="Ada Lovelace", company="Acme")
    bob = make_registrant(event, name="Bob")
    headers = bearer(device_key)
    lone = {"code": ada.check_in_code, "mode": "desk", "nonce": "lone"}
    assert gateway.post("/gateway/v1/scan", json=lone, headers=headers).status_code == 200
    items = [
        {"code": c, "mode": "entry", "nonce": n, "scanned_at": "2026-11-26T18:00:00Z"}
        for c, n in [(ada.check_in_code, "in-ada"), (bob.check_in_code, "in-bob")]
    ]
    assert (
        gateway.post("/gateway/v1/scan/batch", json={"items": items}, headers=headers).status_code
        == 200
    )
    services.registrant_delete(registrant_id=ada.pk)
    stored = {r.nonce: r.response for r in ScanReceipt.objects.all()}
    assert "Lovelace" not in str(stored) and "Acme" not in str(stored)
    assert stored["lone"]["registrant"]["name"] == ERASED_NAME
    assert stored["lone"]["message"].startswith(f"{ERASED_NAME}: ")
    assert stored["in-ada"]["registrant"]["name"] == ERASED_NAME
    assert stored["in-bob"]["registrant"]["name"] == "Bob"
    replay = gateway.post("/gateway/v1/scan", json=lone, headers=headers).json()
    assert replay["registrant"]["name"] == ERASED_NAME
