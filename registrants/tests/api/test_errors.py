"""Every error path answers the one shape {"error": {"code", "message", "fields"}}
and leaves nothing half-written."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from registrants.models import Company, Event, Registrant, StatusChange
from registrants.tests.factories import CompanyFactory, EventFactory, make_registrant

from .conftest import assert_error


def row_counts():
    return (
        Event.objects.count(),
        Company.objects.count(),
        Registrant.objects.count(),
        StatusChange.objects.count(),
    )


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/events/", {"name": "E", "date": "2027-01-01", "capacity": 0}, "capacity"),
        ("/api/v1/events/", {"name": "E", "date": "2027-01-01", "capacity": -1}, "capacity"),
        ("/api/v1/events/", {"name": "E", "date": "2027-01-01", "capacity": "many"}, "capacity"),
        ("/api/v1/events/", {"name": "E", "date": "tomorrow", "capacity": 3}, "date"),
        ("/api/v1/events/", {"name": ["E"], "date": "2027-01-01", "capacity": 3}, "name"),
        ("/api/v1/companies/", {"name": ""}, "name"),
        ("/api/v1/companies/", {"name": "   "}, "name"),
        ("/api/v1/companies/", {"name": {"x": 1}}, "name"),
        ("/api/v1/registrants/", {"event": "{e}", "name": "A", "email": "a@"}, "email"),
        ("/api/v1/registrants/", {"event": "{e}", "name": "A", "email": "nodomain"}, "email"),
        (
            "/api/v1/registrants/",
            {"event": "{e}", "name": "A", "email": "a@x.io", "guest_type": "alien"},
            "guest_type",
        ),
        ("/api/v1/registrants/", {"event": "{e}", "name": "   ", "email": "a@x.io"}, "name"),
        ("/api/v1/registrants/", {"event": "x", "name": "A", "email": "a@x.io"}, "event"),
        (
            "/api/v1/registrants/",
            {"event": "{e}", "name": "A", "email": "a@x.io", "status": "entered"},
            "status",
        ),
        ("/api/v1/registrants/{r}/transitions/", {"to_status": "teleported"}, "to_status"),
        ("/api/v1/registrants/{r}/transitions/", {}, "to_status"),
        ("/api/v1/scan/", {"code": "abc", "mode": "sideways", "event": "{e}"}, "mode"),
        ("/api/v1/scan/", {"code": 12, "mode": ["desk"], "event": "{e}"}, "mode"),
        ("/api/v1/scan/", {"code": "abc", "mode": "desk"}, "event"),
        ("/api/v1/scan/", {"code": "abc", "mode": "desk", "event": 2**64}, "event"),
        ("/api/v1/companies/{c}/merge/", {"into": "x"}, "into"),
        ("/api/v1/companies/{c}/merge/", {"into": 2**64}, "into"),
    ],
)
def test_validation_errors(org_client, data, url, body, field):
    ids = {"e": data["event"].pk, "r": data["regs"]["registered"].pk, "c": data["company"].pk}
    body = {
        k: (ids[v[1:-1]] if isinstance(v, str) and v in ("{e}", "{r}", "{c}") else v)
        for k, v in body.items()
    }
    before = row_counts()
    response = org_client.post(url.format(**ids), body, format="json")
    err = assert_error(response, 400, "validation_error")
    assert field in err["fields"], err
    assert row_counts() == before


@pytest.mark.parametrize(
    "query",
    [
        "page_size=100000",
        "page_size=0",
        "page_size=-3",
        "page_size=abc",
        "ordering=check_in_code",
        "ordering=name,email",
        "ordering=password",
        "status=gone",
        "status=registered,gone",
        "guest_type=alien",
        "event=abc",
        "event=0",
        "company=-1",
        "created_after=yesterday",
        "created_before=2026-13-45",
        "event=99999999999999999999",
    ],
)
def test_invalid_list_parameters(org_client, data, query):
    response = org_client.get(f"/api/v1/registrants/?{query}")
    assert_error(response, 400, "validation_error")


def test_bad_json(org_client, data):
    before = row_counts()
    response = org_client.post("/api/v1/events/", b'{"name": "E",', content_type="application/json")
    assert_error(response, 400, "malformed_request")
    assert row_counts() == before


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"null", b"42"])
def test_body_not_an_object(org_client, data, body):
    before = row_counts()
    response = org_client.post("/api/v1/registrants/", body, content_type="application/json")
    assert response.status_code == 400
    assert_error(response, 400, response.json()["error"]["code"])
    assert response.json()["error"]["code"] in ("validation_error", "malformed_request")
    assert row_counts() == before


def test_401_and_bad_token(anon_client, data):
    assert_error(anon_client.get("/api/v1/events/"), 401, "not_authenticated")
    anon_client.credentials(HTTP_AUTHORIZATION="Bearer nope")
    assert_error(anon_client.get("/api/v1/events/"), 401, "authentication_failed")
    anon_client.credentials(HTTP_AUTHORIZATION="Bearer two parts")
    assert_error(anon_client.get("/api/v1/events/"), 401, "authentication_failed")


def test_403(viewer_client, data):
    assert_error(
        viewer_client.post("/api/v1/companies/", {"name": "X"}, format="json"),
        403,
        "permission_denied",
    )


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/events/999999/",
        "/api/v1/companies/999999/",
        "/api/v1/registrants/999999/",
        "/api/v1/registrants/999999/history/",
        "/api/v1/events/999999/stats/",
        "/api/v1/nothing-here/",
        "/api/v1/events/abc/",
        "/api/nowhere",
    ],
)
def test_404(org_client, data, url):
    assert_error(org_client.get(url), 404, "not_found")


def test_404_id_of_another_type(org_client, data):
    """A company's id used as an event id is simply not found."""
    company = CompanyFactory(name="Idco")
    while Event.objects.filter(pk=company.pk).exists():
        company = CompanyFactory()
    assert_error(org_client.get(f"/api/v1/events/{company.pk}/"), 404, "not_found")


def test_405_put(org_client, data):
    response = org_client.put(f"/api/v1/events/{data['event'].pk}/", {"name": "x"}, format="json")
    assert_error(response, 405, "method_not_allowed")
    assert_error(org_client.get("/api/v1/scan/"), 405, "method_not_allowed")


def test_409_invalid_transition_names_current_and_allowed(org_client, data):
    registrant = data["regs"]["registered"]
    before = row_counts()
    response = org_client.post(
        f"/api/v1/registrants/{registrant.pk}/transitions/", {"to_status": "exited"}, format="json"
    )
    err = assert_error(response, 409, "invalid_transition")
    assert err["details"]["current_status"] == "registered"
    assert err["details"]["allowed"] == ["checked_in", "cancelled"]
    assert "registered" in err["message"] and "checked_in" in err["message"]
    assert row_counts() == before


def test_409_event_full(org_client):
    event = EventFactory(capacity=1)
    make_registrant(event)
    before = row_counts()
    response = org_client.post(
        "/api/v1/registrants/",
        {"event": event.pk, "name": "Late", "email": "late@x.io", "company": "Brand New Co"},
        format="json",
    )
    assert_error(response, 409, "event_full")
    assert row_counts() == before  # not even the new company


def test_409_reinstate_without_seat(org_client):
    event = EventFactory(capacity=1)
    cancelled = make_registrant(event, status="cancelled")
    make_registrant(event)
    response = org_client.post(
        f"/api/v1/registrants/{cancelled.pk}/transitions/",
        {"to_status": "registered"},
        format="json",
    )
    assert_error(response, 409, "event_full")
    cancelled.refresh_from_db()
    assert cancelled.status == "cancelled"


def test_409_capacity_below_seats_taken(org_client):
    event = EventFactory(capacity=5)
    for _ in range(3):
        make_registrant(event)
    response = org_client.patch(
        f"/api/v1/events/{event.pk}/", {"capacity": 2, "name": "X"}, format="json"
    )
    assert_error(response, 409, "capacity_below_seats_taken")
    event.refresh_from_db()
    assert (event.capacity, event.name) == (5, event.name)
    assert event.name != "X"


def test_409_delete_event_with_registrants(org_client, data):
    response = org_client.delete(f"/api/v1/events/{data['event'].pk}/")
    assert_error(response, 409, "event_has_registrants")
    assert Event.objects.filter(pk=data["event"].pk).exists()


def test_409_company_name_normalises_to_existing(org_client, data):
    response = org_client.post("/api/v1/companies/", {"name": "  ACME  "}, format="json")
    err = assert_error(response, 409, "company_exists")
    assert "Acme" in err["message"]
    assert err["details"]["company_id"] == data["company"].pk
    assert Company.objects.count() == 2


def test_409_company_rename_clash(org_client, data):
    globex = Company.objects.get(name="Globex")
    response = org_client.patch(f"/api/v1/companies/{globex.pk}/", {"name": "acme"}, format="json")
    err = assert_error(response, 409, "company_exists")
    assert "Acme" in err["message"]


def test_409_cancelled_scan(org_client, data):
    code = data["regs"]["cancelled"].check_in_code
    before = row_counts()
    body = {"code": code, "mode": "desk", "event": data["event"].pk}
    response = org_client.post("/api/v1/scan/", body, format="json")
    err = assert_error(response, 409, "cancelled")
    assert err["details"]["registrant"]["name"] == "Person cancelled"
    assert row_counts() == before


def test_413_body_too_large(org_client, data, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    before = row_counts()
    body = '{"name": "%s", "date": "2027-01-01", "capacity": 3}' % ("x" * 2000)
    response = org_client.post("/api/v1/events/", body, content_type="application/json")
    assert_error(response, 413, "payload_too_large")
    assert row_counts() == before


def test_413_default_limit(org_client, data):
    from django.conf import settings

    before = row_counts()
    body = b'{"name": "' + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + b'"}'
    response = org_client.post("/api/v1/companies/", body, content_type="application/json")
    assert_error(response, 413, "payload_too_large")
    assert row_counts() == before


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
def test_415_wrong_content_type(org_client, data, content_type):
    before = row_counts()
    response = org_client.post("/api/v1/companies/", "name=Foo", content_type=content_type)
    assert_error(response, 415, "unsupported_media_type")
    assert row_counts() == before


def test_429_scan_throttle(org_client, data, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"scan": "3/min"},
    }
    cache.clear()
    body = {"code": data["regs"]["registered"].check_in_code, "mode": "desk"}
    body["event"] = data["event"].pk
    statuses = [org_client.post("/api/v1/scan/", body, format="json").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    response = org_client.post("/api/v1/scan/", body, format="json")
    assert_error(response, 429, "throttled")
    assert 1 <= int(response["Retry-After"]) <= 60


def test_permission_denied_from_service_is_403_shape(staff_client, data):
    registrant = data["regs"]["checked_in"]
    response = staff_client.post(
        f"/api/v1/registrants/{registrant.pk}/transitions/",
        {"to_status": "registered"},
        format="json",
    )
    assert_error(response, 403, "permission_denied")
