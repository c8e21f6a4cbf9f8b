"""Every gateway answer carries X-Request-ID, as the web app's do: the
caller's id when it is sane, else a new one; the id is bound while the
request runs, so its log lines carry it."""

from __future__ import annotations

import logging
import re

import pytest

from config import logs
from gateway import endpoints
from registrants.tests.factories import make_registrant

from .conftest import bearer

pytestmark = pytest.mark.django_db(transaction=True)

NEW_ID = re.compile(r"[0-9a-f]{32}")


def test_a_scan_answer_echoes_the_callers_request_id(gateway, event, device_key):
    person = make_registrant(event)
    answer = gateway.post(
        "/gateway/v1/scan",
        json={"code": person.check_in_code, "mode": "desk", "event": event.pk},
        headers={**bearer(device_key), "X-Request-ID": "door-7:req-0001"},
    )
    assert answer.status_code == 200
    assert answer.headers["X-Request-ID"] == "door-7:req-0001"


@pytest.mark.parametrize("sent", [None, "two words", "x" * 200])
def test_without_a_sane_id_the_answer_gets_a_new_one(gateway, sent):
    headers = {"X-Request-ID": sent} if sent is not None else {}
    refused = gateway.post("/gateway/v1/scan", json={}, headers=headers)  # no credentials
    assert refused.status_code == 401
    assert NEW_ID.fullmatch(refused.headers["X-Request-ID"])


def test_the_docs_and_probes_carry_it_too(gateway):
    for path in ("/gateway/openapi.json", "/gateway/healthz"):
        answer = gateway.get(path, headers={"X-Request-ID": "probe-1"})
        assert answer.headers["X-Request-ID"] == "probe-1"


def test_log_lines_of_the_request_carry_its_id(gateway, monkeypatch, caplog):
    seen: list[str | None] = []
    original = endpoints.authenticate

    async def authenticate_and_log(header):
        logging.getLogger("gateway").warning("checking a credential")
        seen.append(logs.CONTEXT["request_id"].get())
        return await original(header)

    monkeypatch.setattr(endpoints, "authenticate", authenticate_and_log)
    gateway.post("/gateway/v1/scan", json={}, headers={"X-Request-ID": "trace-42"})
    assert seen == ["trace-42"]
    assert logs.CONTEXT["request_id"].get() is None  # unbound after the request
