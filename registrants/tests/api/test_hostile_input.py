"""Input that used to break the server: JSON nested a thousand levels deep,
dates and cursors that overflow when converted to UTC, malformed orderings.
Each is a 400 in the one error shape, never a 500, never a partial export;
and a sweep sends them to every operation of the OpenAPI schema."""

from __future__ import annotations

import base64
import re

import pytest
from django.apps import apps

from registrants.api.parsers import MAX_JSON_DEPTH, too_deep
from registrants.models import Company, Event, Registrant, StatusChange
from registrants.tests.factories import EventFactory, make_registrant

from .conftest import assert_error

DEEP_ARRAY = "[" * 1000 + "]" * 1000  # 2 KB
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000
OVERFLOWING = ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+05:00"]
# DRF cursors are base64 of a query string: p is the position in the ordering.
CRAFTED_CURSORS = [base64.b64encode(f"p={value}".encode()).decode() for value in OVERFLOWING] + [
    "!!!not-base64",
    base64.b64encode(b"\xff\xfe garbage").decode(),
]
MALFORMED_ORDERINGS = ["--name", "-", "", "name,email", "-name,-email", "name-", "--", "+name"]


def counts():
    return (
        Event.objects.count(),
        Company.objects.count(),
        Registrant.objects.count(),
        StatusChange.objects.count(),
    )


def test_depth_check_counts_brackets_outside_strings_only():
    assert too_deep(DEEP_ARRAY.encode())
    assert too_deep(DEEP_OBJECT.encode())
    assert not too_deep(("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH).encode())
    assert too_deep(("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)).encode())
    assert not too_deep(b'{"name": "' + b"[{" * 500 + b'\\"[[["}')
    assert not too_deep(b"[" + b"[]," * 500 + b"[]]")
    # An escaped backslash ends no string; an escaped quote does not end one.
    assert too_deep(b'["\\\\", ' + b"[" * 40 + b"]" * 40 + b"]")
    assert not too_deep(b'["\\"' + b"[" * 40 + b'"]')
    # Closing brackets inside a string cannot hide real depth.
    assert too_deep(b'["' + b"]" * 100 + b'", ' + b"[" * 40 + b"]" * 41)


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT])
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/v1/registrants/"),
        ("post", "/api/v1/events/"),
        ("post", "/api/v1/companies/"),
        ("post", "/api/v1/scan/"),
        ("patch", "/api/v1/registrants/{r}/"),
        ("post", "/api/v1/registrants/{r}/transitions/"),
    ],
)
def test_deeply_nested_json_is_malformed_request(org_client, data, method, url, body):
    before = counts()
    url = url.format(r=data["regs"]["registered"].pk)
    response = getattr(org_client, method)(url, body, content_type="application/json")
    err = assert_error(response, 400, "malformed_request")
    assert str(MAX_JSON_DEPTH) in err["message"]
    assert counts() == before


def test_deeply_nested_json_from_a_viewer_is_not_a_500(viewer_client, data):
    response = viewer_client.post("/api/v1/scan/", DEEP_ARRAY, content_type="application/json")
    assert response.status_code in (400, 403)
    assert "error" in response.json()


@pytest.mark.parametrize("value", OVERFLOWING)
@pytest.mark.parametrize("name", ["created_after", "created_before"])
def test_dates_that_overflow_in_utc_are_a_400(org_client, data, name, value):
    response = org_client.get("/api/v1/registrants/", {name: value})
    err = assert_error(response, 400, "validation_error")
    assert name in err["fields"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("value", OVERFLOWING)
def test_export_refuses_overflowing_dates_before_streaming(org_client, data, fmt, value):
    url = f"/api/v1/events/{data['event'].pk}/export/"
    for history in ("false", "true"):
        response = org_client.get(url, {"format": fmt, "created_after": value, "history": history})
        assert_error(response, 400, "validation_error")


@pytest.mark.parametrize("cursor", CRAFTED_CURSORS)
@pytest.mark.parametrize("ordering", [None, "created_at", "-created_at"])
def test_crafted_cursors_are_a_400(org_client, data, cursor, ordering):
    query = {"cursor": cursor} | ({"ordering": ordering} if ordering else {})
    response = org_client.get("/api/v1/registrants/", query)
    err = assert_error(response, 400, "validation_error")
    assert "cursor" in err["fields"]


@pytest.mark.parametrize("url", ["/api/v1/events/", "/api/v1/companies/"])
def test_crafted_cursors_on_other_lists_are_a_400(org_client, data, url):
    for cursor in CRAFTED_CURSORS:
        assert_error(org_client.get(url, {"cursor": cursor}), 400, "validation_error")


def test_cursors_the_api_hands_out_still_work(org_client, data):
    first = org_client.get("/api/v1/registrants/", {"ordering": "created_at", "page_size": 2})
    assert first.status_code == 200
    cursor = re.search(r"cursor=([^&]+)", first.json()["next"]).group(1)
    from urllib.parse import unquote

    second = org_client.get(
        "/api/v1/registrants/",
        {"ordering": "created_at", "page_size": 2, "cursor": unquote(cursor)},
    )
    assert second.status_code == 200 and len(second.json()["results"]) == 2


@pytest.mark.parametrize("ordering", MALFORMED_ORDERINGS)
def test_malformed_orderings_are_a_400(org_client, data, ordering):
    response = org_client.get("/api/v1/registrants/", {"ordering": ordering})
    err = assert_error(response, 400, "validation_error")
    assert "ordering" in err["fields"]
    export = org_client.get(f"/api/v1/events/{data['event'].pk}/export/", {"ordering": ordering})
    assert_error(export, 400, "validation_error")


# --- The sweep: every operation of the schema, as organiser and as viewer -------------


def _operations(client) -> list[tuple[str, str, dict]]:
    schema = client.get("/api/schema/?format=json").json()
    ops = [
        (method, path, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    # Deletes last, so that the other operations still find the rows.
    return sorted(ops, key=lambda o: o[0] == "delete")


def _other_apps_rows(data) -> dict[str, int]:
    """A row for each other app's {id} path (a registration question, a
    webhook endpoint), so that a hostile body meets the parser, not a 404.
    By model name: the domain's tests do not import those apps."""
    event = data["event"]
    question = apps.get_model("signup", "Question").objects.create(
        event=event, label="Dietary needs", label_key="dietary needs", kind="text"
    )
    endpoint = apps.get_model("webhooks", "Endpoint").objects.create(
        event=event, url="https://hooks.example.com/in"
    )
    return {"questions": question.pk, "webhooks": endpoint.pk}


def _fill(path: str, data) -> str:
    ids = {
        "registrants": data["regs"]["registered"].pk,
        "companies": data["company"].pk,
        "events": data["event"].pk,
        "imports": 1,
        **data.get("other_apps", {}),
    }
    resource = path.split("/")[3]
    path = re.sub(r"\{(event_id)\}", str(data["event"].pk), path)
    path = path.replace("{device_id}", "1")
    return re.sub(r"\{\w+\}", str(ids.get(resource, 1)), path)


def _hostile_queries(op: dict) -> list[dict[str, str]]:
    params = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "query"}
    queries = []
    for name, param in params.items():
        if param["schema"].get("format") == "date-time":
            queries += [{name: value} for value in OVERFLOWING]
        if name == "cursor":
            orderings = [None]
            if "ordering" in params:
                orderings += ["created_at", "-created_at"]
            queries += [
                {name: cursor} | ({"ordering": o} if o else {})
                for cursor in CRAFTED_CURSORS
                for o in orderings
            ]
        if name == "ordering":
            queries += [{name: value} for value in MALFORMED_ORDERINGS]
    return queries


def _assert_no_server_error(response, what):
    assert response.status_code < 500, (what, response.status_code, response.content[:300])
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and {"code", "message", "fields"} <= set(body["error"]), what


@pytest.mark.parametrize("role", ["org_client", "viewer_client"])
def test_sweep_every_operation_with_deep_json_and_overflowing_queries(request, data, role):
    client = request.getfixturevalue(role)
    data["other_apps"] = _other_apps_rows(data)
    operations = _operations(client)
    assert len(operations) >= 20
    hostile_queries = 0
    for method, path, op in operations:
        url = _fill(path, data)
        for body in (DEEP_ARRAY, DEEP_OBJECT):
            response = client.generic(method.upper(), url, body, content_type="application/json")
            what = (role, method, path, "deep body")
            _assert_no_server_error(response, what)
            if response.status_code == 400:
                assert response.json()["error"]["code"] == "malformed_request", what
            takes_json = "application/json" in op.get("requestBody", {}).get("content", {})
            if role == "org_client" and takes_json:
                assert response.status_code == 400, what
        for query in _hostile_queries(op):
            hostile_queries += 1
            response = client.generic(method.upper(), url, "", QUERY_STRING=_qs(query))
            what = (role, method, path, query)
            _assert_no_server_error(response, what)
            if role == "org_client":
                assert response.status_code == 400, what
    assert hostile_queries >= 40


def _qs(query: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(query)


@pytest.mark.parametrize("offset", ["+18:48", "-23:59"])
def test_a_valid_offset_the_database_would_refuse_is_read_in_utc(org_client, offset):
    """Python reads offsets up to 23:59; PostgreSQL stores only up to 15:59.
    The filter converts to UTC first, so such a time filters (no 500)."""
    event = EventFactory()
    make_registrant(event)
    when = f"2020-01-01T00:00:00{offset}".replace("+", "%2B")
    listed = org_client.get(f"/api/v1/registrants/?event={event.pk}&created_after={when}")
    assert listed.status_code == 200
    assert len(listed.json()["results"]) == 1
    exported = org_client.get(f"/api/v1/events/{event.pk}/export/?format=csv&created_after={when}")
    assert exported.status_code == 200
    assert b"".join(exported.streaming_content).count(b"\n") == 2  # the header and one row
