"""The gateway app's own answers around the scan endpoints, which it serves
before FastAPI's middleware and routing (gateway.app.GatewayApp)."""

from __future__ import annotations

import logging

import pytest

from gateway import db

from .conftest import bearer, user_token

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("path", ["/gateway/v1/scan", "/gateway/v1/scan/batch"])
def test_an_unexpected_error_is_a_logged_500_in_the_error_shape(
    gateway, staff, monkeypatch, caplog, path
):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(db, "backend", broken)
    body = (
        {"code": "X", "mode": "desk"}
        if path.endswith("scan")
        else {
            "items": [
                {"code": "X", "mode": "desk", "nonce": "n1", "scanned_at": "2026-11-26T18:00:00Z"}
            ]
        }
    )
    with caplog.at_level(logging.ERROR, logger="gateway.app"):
        response = gateway.post(path, json=body, headers=bearer(user_token(staff)))
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert "boom" in caplog.text


def test_other_methods_on_the_scan_path_still_get_the_error_shape(gateway, staff):
    response = gateway.get("/gateway/v1/scan", headers=bearer(user_token(staff)))
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_the_scan_endpoints_are_still_documented(gateway):
    paths = gateway.get("/gateway/openapi.json").json()["paths"]
    assert "post" in paths["/gateway/v1/scan"] and "post" in paths["/gateway/v1/scan/batch"]
