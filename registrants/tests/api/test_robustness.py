"""R3-R6: hostile ids, filters and bodies; cursor stability; page size cap."""

from __future__ import annotations

import pytest

from registrants.api.pagination import MAX_PAGE_SIZE
from registrants.models import Company, Event, Registrant, StatusChange
from registrants.tests.factories import EventFactory, make_registrant

HUGE = "x" * 10_000
HOSTILE_IDS = [str(2**63), str(2**63 - 1), str(2**64), "-1", "0", "1%00", "%00", HUGE[:500], "1e9"]


def counts():
    return (
        Event.objects.count(),
        Company.objects.count(),
        Registrant.objects.count(),
        StatusChange.objects.count(),
    )


@pytest.mark.parametrize("pk", HOSTILE_IDS)
@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("get", "/api/v1/events/{}/"),
        ("get", "/api/v1/events/{}/stats/"),
        ("patch", "/api/v1/events/{}/"),
        ("get", "/api/v1/companies/{}/"),
        ("post", "/api/v1/companies/{}/merge/"),
        ("get", "/api/v1/registrants/{}/"),
        ("delete", "/api/v1/registrants/{}/"),
        ("get", "/api/v1/registrants/{}/history/"),
        ("post", "/api/v1/registrants/{}/transitions/"),
    ],
)
def test_hostile_ids(org_client, data, method, template, pk):
    before = counts()
    response = getattr(org_client, method)(
        template.format(pk), {"to_status": "checked_in", "into": 1}, format="json"
    )
    assert response.status_code in (400, 404), (response.status_code, response.content[:200])
    assert "error" in response.json()
    assert counts() == before


@pytest.mark.parametrize(
    "query",
    [
        {"event": str(2**63)},
        {"event": str(2**64)},
        {"company": str(2**63)},
        {"event": "1\x00"},
        {"search": "a\x00b"},
        {"search": HUGE},
        {"status": HUGE},
        {"ordering": HUGE},
        {"cursor": HUGE},
        {"cursor": "\x00"},
        {"created_after": HUGE},
        {"page_size": str(2**64)},
        {HUGE: "1"},
        {"guest_type": "\x00"},
        {"cursor": "cD05OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ=="},
        {"ordering": "-created_at", "cursor": "cD16eno="},
        {"ordering": "created_at", "cursor": "bz0xJnA9MjAyNi05OS05OQ=="},
        {"ordering": "status", "cursor": "cD0lMDA="},
        {
            "ordering": "company",
            "cursor": "cj0xJnA9eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4",
        },
        {"cursor": "bz0tNSZwPTE="},
        {"cursor": "cD0yMDI2LTAxLTAx"},
        {"ordering": "name", "cursor": "bz0xJnA9eA=="},
    ],
)
def test_hostile_filters(org_client, data, query):
    response = org_client.get("/api/v1/registrants/", query)
    assert response.status_code in (200, 400, 404), (response.status_code, response.content[:200])
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    "body",
    [
        {"event": 2**63, "name": "A", "email": "a@x.io"},
        {"event": 2**64, "name": "A", "email": "a@x.io"},
        {"event": "{e}", "name": "A\x00B", "email": "a@x.io"},
        {"event": "{e}", "name": HUGE, "email": "a@x.io"},
        {"event": "{e}", "name": "A", "email": HUGE + "@x.io"},
        {"event": "{e}", "name": "A", "email": "a@x.io", "company": HUGE},
        {"event": "{e}", "name": "A", "email": "a@x.io", "company": "\x00"},
        {"event": "{e}", "name": {"first": "A"}, "email": "a@x.io"},
        {"event": ["{e}"], "name": "A", "email": "a@x.io"},
        {"event": True, "name": "A", "email": "a@x.io"},
        {"event": 1.5, "name": "A", "email": "a@x.io"},
        {"event": None, "name": None, "email": None},
        {"event": "{e}", "name": "A", "email": "a@x.io", "guest_type": None},
        {"event": "{e}", "name": "A", "email": "a@x.io", "company_id": 2**64},
        {"event": "{e}", "name": "A", "email": "a@x.io", "company_id": 999999},
    ],
)
def test_hostile_registrant_bodies(org_client, data, body):
    e = data["event"].pk
    body = {k: (e if v == "{e}" else [e] if v == ["{e}"] else v) for k, v in body.items()}
    before = counts()
    response = org_client.post("/api/v1/registrants/", body, format="json")
    assert response.status_code in (400, 404), (response.status_code, response.content[:300])
    assert counts() == before


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/events/", {"name": "E", "date": "2027-01-01", "capacity": 2**63}),
        ("/api/v1/events/", {"name": "E", "date": "99999-01-01", "capacity": 1}),
        ("/api/v1/events/", {"name": "E\x00", "date": "2027-01-01", "capacity": 1}),
        ("/api/v1/events/", {"name": HUGE, "date": "2027-01-01", "capacity": 1}),
        ("/api/v1/events/", [{"name": "E", "date": "2027-01-01", "capacity": 1}]),
        ("/api/v1/companies/", {"name": "\x00"}),
        ("/api/v1/companies/", {"name": HUGE}),
        ("/api/v1/companies/", ["Acme"]),
        ("/api/v1/scan/", {"code": "a\x00", "mode": "desk", "event": 1}),
        ("/api/v1/scan/", {"code": HUGE, "mode": "desk", "event": 1}),
        ("/api/v1/scan/", {"code": "abc", "mode": "desk", "event": 1, "nonce": HUGE}),
        ("/api/v1/scan/", {"code": "abc", "mode": "desk", "event": 2**63}),
        ("/api/v1/scan/", {"code": "abc", "mode": "desk", "event": "1; DROP"}),
        ("/api/v1/scan/", [{"code": "abc", "mode": "desk"}]),
    ],
)
def test_hostile_bodies(org_client, data, url, body):
    before = counts()
    response = org_client.post(url, body, format="json")
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert counts() == before


def test_hostile_patch_and_transition_bodies(org_client, data):
    r = data["regs"]["registered"]
    before = counts()
    for body in (
        [1],
        {"name": None},
        {"email": 5},
        {"company_id": "x"},
        {"guest_type": ["vip"]},
        {"name": "A\x00"},
    ):
        response = org_client.patch(f"/api/v1/registrants/{r.pk}/", body, format="json")
        assert response.status_code == 400, (body, response.content[:200])
    for body in (
        [1],
        {"to_status": None},
        {"to_status": "entered", "note": HUGE},
        {"to_status": ["entered"]},
    ):
        response = org_client.post(f"/api/v1/registrants/{r.pk}/transitions/", body, format="json")
        assert response.status_code == 400, (body, response.content[:200])
    assert counts() == before


def test_nul_byte_in_path(org_client, data):
    response = org_client.get("/api/v1/registrants/1\x00/")
    assert response.status_code in (400, 404)


def test_cursor_walk_while_rows_are_added(org_client):
    """R5: every row that existed before the walk is seen exactly once."""
    event = EventFactory()
    before = [make_registrant(event, name=f"R{i}").pk for i in range(25)]
    for ordering in ("", "&ordering=name", "&ordering=-created_at", "&ordering=status"):
        url, seen = f"/api/v1/registrants/?page_size=7{ordering}", []
        while url:
            body = org_client.get(url).json()
            seen += [r["id"] for r in body["results"]]
            make_registrant(event, name="R-new")
            url = body["next"]
        old = [pk for pk in seen if pk in set(before)]
        assert sorted(old) == sorted(before), ordering
        assert len(seen) == len(set(seen))


def test_page_size_capped(org_client, data):
    assert org_client.get(f"/api/v1/registrants/?page_size={MAX_PAGE_SIZE}").status_code == 200
    response = org_client.get(f"/api/v1/registrants/?page_size={MAX_PAGE_SIZE + 1}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    event = EventFactory()
    for _ in range(3):
        make_registrant(event)
    assert len(org_client.get("/api/v1/registrants/").json()["results"]) <= 50


@pytest.mark.parametrize("value", ["a\x00b", "x" * 5000, "\x7f\x01", "../../etc"])
def test_hostile_session_cookie(anon_client, org_client, data, value):
    """A forged session cookie is no session: 401, never a 500 (PostgreSQL
    refuses NUL bytes in the session lookup)."""
    cookie = f"sessionid={value}"
    assert anon_client.get("/api/v1/events/", HTTP_COOKIE=cookie).status_code == 401
    assert (
        anon_client.post("/api/v1/scan/", {}, format="json", HTTP_COOKIE=cookie).status_code == 401
    )
    assert org_client.get("/api/v1/events/", HTTP_COOKIE=cookie).status_code == 200
