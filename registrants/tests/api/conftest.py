"""Fixtures of the API tests: a user without a role, a small data set, helpers."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from conftest import client_for  # the root conftest's; the API tests import it from here
from registrants.tests.factories import CompanyFactory, EventFactory, make_registrant, make_user


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters and cached tokens must not leak between tests."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def norole(db):
    return make_user("nora", None)


@pytest.fixture
def norole_client(norole):
    return client_for(norole)


@pytest.fixture
def data(db):
    """An event with registrants in every status, two companies, a second event."""
    event = EventFactory(capacity=100)
    other_event = EventFactory(capacity=5)
    acme = CompanyFactory(name="Acme")
    CompanyFactory(name="Globex")
    regs = {
        status: make_registrant(event, name=f"Person {status}", company="Acme", status=status)
        for status in ("registered", "checked_in", "entered", "exited", "cancelled")
    }
    return {"event": event, "other_event": other_event, "company": acme, "regs": regs}


def assert_error(response, status: int, code: str) -> dict:
    """The one error shape, with the expected status and code."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert {"code", "message", "fields"} <= set(err), err
    assert set(err) <= {"code", "message", "fields", "details"}, err
    assert isinstance(err["message"], str) and err["message"]
    assert isinstance(err["fields"], dict)
    assert err["code"] == code, err
    return err
