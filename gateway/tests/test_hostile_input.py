"""The gateway's hostile input: JSON nested a thousand levels deep and batch
items whose scanned_at overflows in UTC are a 400 in the error shape, never
a 500; and a sweep sends them to every operation of /gateway/openapi.json."""

from __future__ import annotations

import pytest

from registrants.api.parsers import MAX_JSON_DEPTH
from registrants.models import StatusChange
from registrants.tests.factories import make_registrant

from .conftest import bearer, user_token

pytestmark = pytest.mark.django_db(transaction=True)

DEEP_BODIES = ["[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000]
OVERFLOWING = ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+05:00"]
JSON = {"Content-Type": "application/json"}


def _assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.text[:300])
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "fields"} <= set(body["error"])
    assert body["error"]["code"] == code, body
    return body["error"]


@pytest.mark.parametrize("body", DEEP_BODIES)
@pytest.mark.parametrize("path", ["/gateway/v1/scan", "/gateway/v1/scan/batch"])
def test_deeply_nested_json_is_malformed_request(gateway, device_key, path, body):
    before = StatusChange.objects.count()
    response = gateway.post(path, content=body, headers=bearer(device_key) | JSON)
    err = _assert_error_shape(response, 400, "malformed_request")
    assert str(MAX_JSON_DEPTH) in err["message"]
    assert StatusChange.objects.count() == before


@pytest.mark.parametrize("value", OVERFLOWING)
def test_batch_items_whose_scanned_at_overflows_are_refused(gateway, event, device_key, value):
    code = make_registrant(event, name="Ann").check_in_code
    before = StatusChange.objects.count()
    good = {"code": code, "mode": "desk", "nonce": "n-1", "scanned_at": "2026-12-01T09:00:00Z"}
    bad = {"code": code, "mode": "entry", "nonce": "n-2", "scanned_at": value}
    response = gateway.post(
        "/gateway/v1/scan/batch", json={"items": [good, bad]}, headers=bearer(device_key)
    )
    err = _assert_error_shape(response, 400, "validation_error")
    assert "Out of range" in err["fields"]["items"]["1"]["scanned_at"][0]
    assert StatusChange.objects.count() == before


@pytest.mark.parametrize("who", ["device", "staff", "viewer"])
def test_sweep_every_gateway_operation(gateway, event, device_key, staff, viewer, who):
    headers = {
        "device": bearer(device_key),
        "staff": bearer(user_token(staff)),
        "viewer": bearer(user_token(viewer)),
    }[who]
    schema = gateway.get("/gateway/openapi.json").json()
    operations = [
        (method, path)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"} and path.startswith("/gateway/v1/")
    ]
    assert len(operations) >= 2
    code = make_registrant(event, name="Ann").check_in_code
    for method, path in operations:
        for body in DEEP_BODIES:
            response = gateway.request(method.upper(), path, content=body, headers=headers | JSON)
            assert response.status_code < 500, (who, method, path, response.text[:300])
            if response.status_code == 400:
                assert response.json()["error"]["code"] == "malformed_request"
        if path.endswith("/batch"):
            for value in OVERFLOWING:
                item = {"code": code, "mode": "desk", "nonce": value, "scanned_at": value}
                response = gateway.request(
                    method.upper(), path, json={"items": [item]}, headers=headers
                )
                assert response.status_code < 500, (who, value, response.text[:300])
                assert "error" in response.json()
