"""S2: the role x endpoint x method matrix, from one table mirroring the role table of the README and docs/api.md.

organiser: everything. checkin_staff: reads, forward moves and scans; never
undo, cancel, reinstate, delete or edit. viewer: reads only. A logged-in
user without a role: 403 everywhere. No token: 401 everywhere.
"""

from __future__ import annotations

import re

import pytest

from registrants.models import Company, Event, Registrant

from .conftest import assert_error, client_for

ORG, S, V = "organiser", "checkin_staff", "viewer"
READ = {ORG, S, V}

# (name, method, url template, body) -> roles allowed. {e} event, {c} company,
# {c2} another company, {r} registrant (registered), {rc} checked-in registrant.
MATRIX = [
    ("events-list", "get", "/api/v1/events/", None, READ),
    (
        "events-create",
        "post",
        "/api/v1/events/",
        {"name": "N", "date": "2027-01-01", "capacity": 5},
        {ORG},
    ),
    ("events-detail", "get", "/api/v1/events/{e}/", None, READ),
    ("events-edit", "patch", "/api/v1/events/{e}/", {"name": "Renamed"}, {ORG}),
    ("events-delete", "delete", "/api/v1/events/{e0}/", None, {ORG}),
    ("events-stats", "get", "/api/v1/events/{e}/stats/", None, READ),
    ("companies-list", "get", "/api/v1/companies/", None, READ),
    ("companies-create", "post", "/api/v1/companies/", {"name": "Newco"}, {ORG}),
    ("companies-detail", "get", "/api/v1/companies/{c}/", None, READ),
    ("companies-edit", "patch", "/api/v1/companies/{c}/", {"name": "Acme Ltd"}, {ORG}),
    ("companies-delete", "delete", "/api/v1/companies/{c0}/", None, {ORG}),
    ("companies-merge", "post", "/api/v1/companies/{c2}/merge/", {"into": "{c}"}, {ORG}),
    ("registrants-list", "get", "/api/v1/registrants/", None, READ),
    (
        "registrants-create",
        "post",
        "/api/v1/registrants/",
        {"event": "{e}", "name": "New", "email": "new@example.com"},
        {ORG},
    ),
    ("registrants-detail", "get", "/api/v1/registrants/{r}/", None, READ),
    ("registrants-edit", "patch", "/api/v1/registrants/{r}/", {"name": "Renamed"}, {ORG}),
    ("registrants-delete", "delete", "/api/v1/registrants/{r}/", None, {ORG}),
    ("registrants-history", "get", "/api/v1/registrants/{r}/history/", None, READ),
    (
        "transition-checkin",
        "post",
        "/api/v1/registrants/{r}/transitions/",
        {"to_status": "checked_in"},
        {ORG, S},
    ),
    (
        "transition-enter",
        "post",
        "/api/v1/registrants/{rc}/transitions/",
        {"to_status": "entered"},
        {ORG, S},
    ),
    (
        "transition-exit",
        "post",
        "/api/v1/registrants/{rin}/transitions/",
        {"to_status": "exited"},
        {ORG, S},
    ),
    (
        "transition-undo",
        "post",
        "/api/v1/registrants/{rc}/transitions/",
        {"to_status": "registered"},
        {ORG},
    ),
    (
        "transition-cancel",
        "post",
        "/api/v1/registrants/{r}/transitions/",
        {"to_status": "cancelled"},
        {ORG},
    ),
    (
        "transition-reinstate",
        "post",
        "/api/v1/registrants/{rx}/transitions/",
        {"to_status": "registered"},
        {ORG},
    ),
    ("scan", "post", "/api/v1/scan/", {"code": "{code}", "mode": "desk", "event": "{e}"}, {ORG, S}),
]

IDENTITIES = [ORG, S, V, "norole", "anonymous"]
SUCCESS = {"get": 200, "post": (200, 201), "patch": 200, "delete": 204}


@pytest.fixture
def world(data):
    from registrants.tests.factories import CompanyFactory, EventFactory, make_registrant

    event = data["event"]
    ids = {
        "e": event.pk,
        "e0": EventFactory().pk,
        "c": data["company"].pk,
        "c0": CompanyFactory(name="Empty Co").pk,
        "c2": CompanyFactory(name="Globex").pk,
        "r": make_registrant(event, name="Reg").pk,
        "rc": make_registrant(event, name="Chk", status="checked_in").pk,
        "rin": make_registrant(event, name="Inside", status="entered").pk,
        "rx": make_registrant(event, name="Canc", status="cancelled").pk,
    }
    ids["code"] = Registrant.objects.get(pk=ids["r"]).check_in_code
    return ids


def fill(value, ids):
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        out = ids[value[1:-1]]
        return out
    if isinstance(value, str):
        return value.format(**ids)
    return value


def identity_client(identity, request):
    if identity == "anonymous":
        return client_for(None)
    fixture = {ORG: "organiser", S: "staff", V: "viewer", "norole": "norole"}[identity]
    return client_for(request.getfixturevalue(fixture))


def test_matrix_covers_every_operation():
    """The table names every operation of the API (and the schema lists the real routes: R7)."""
    from django.urls import resolve
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)

    def ours(path):  # this table covers registrants.api; imports/exports have their own tests
        return resolve(re.sub(r"\{\w+\}", "1", path)).func.__module__ == "registrants.api.views"

    operations = {(m, p) for p, item in schema["paths"].items() if ours(p) for m in item}
    in_matrix = {(m, re.sub(r"\{[a-z0-9]+\}", "{id}", u)) for _, m, u, _, _ in MATRIX}
    assert in_matrix == operations


@pytest.mark.parametrize("identity", IDENTITIES)
@pytest.mark.parametrize(
    ("name", "method", "url", "body", "allowed"), MATRIX, ids=[m[0] for m in MATRIX]
)
def test_role_matrix(identity, name, method, url, body, allowed, world, request):
    client = identity_client(identity, request)
    counts = (Event.objects.count(), Company.objects.count(), Registrant.objects.count())
    response = getattr(client, method)(fill(url, world), fill(body, world), format="json")
    if identity == "anonymous":
        assert_error(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"].startswith("Bearer")
    elif identity in allowed:
        expected = SUCCESS[method]
        assert response.status_code in (expected if isinstance(expected, tuple) else (expected,)), (
            response.status_code,
            response.content[:300],
        )
        if name.startswith("transition"):
            assert response.json()["changed"] is True
        return
    else:
        assert_error(response, 403, "permission_denied")
    # Refused: nothing written.
    assert counts == (Event.objects.count(), Company.objects.count(), Registrant.objects.count())


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("checked_in", "registered"),
        ("registered", "cancelled"),
        ("checked_in", "cancelled"),
        ("cancelled", "registered"),
    ],
)
def test_staff_may_not_undo_cancel_or_reinstate(staff_client, event, start, target):
    from registrants.models import StatusChange
    from registrants.tests.factories import make_registrant

    registrant = make_registrant(event, status=start)
    rows = StatusChange.objects.count()
    response = staff_client.post(
        f"/api/v1/registrants/{registrant.pk}/transitions/", {"to_status": target}, format="json"
    )
    assert_error(response, 403, "permission_denied")
    registrant.refresh_from_db()
    assert registrant.status == start
    assert StatusChange.objects.count() == rows


@pytest.mark.parametrize(
    "start,target",
    [
        ("registered", "checked_in"),
        ("checked_in", "entered"),
        ("entered", "exited"),
        ("exited", "entered"),
    ],
)
def test_staff_may_move_forward(staff_client, event, start, target):
    from registrants.tests.factories import make_registrant

    registrant = make_registrant(event, status=start)
    response = staff_client.post(
        f"/api/v1/registrants/{registrant.pk}/transitions/", {"to_status": target}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["registrant"]["status"] == target
