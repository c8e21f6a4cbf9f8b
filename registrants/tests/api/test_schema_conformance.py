"""Every documented answer matches the OpenAPI schema, read strictly.

Requests as an organiser (and a viewer, who gets no check-in codes) to every
GET list, detail and stats operation and the main writes, with data that
holds the values a loose reading hides: a registrant without a company, a
first scan without a previous one, a scan conflict without a registrant or
device, an import job. Each JSON answer is validated with jsonschema against
the operation's response schema for its status, $refs resolved, with
OpenAPI 3.0's `nullable` honoured only where the specification says it
counts (beside a `type`): a strict validator's reading, stricter than
schemathesis' (which lets `nullable` admit null anywhere).
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from gateway import services as gateway_services
from gateway.models import ConflictReason, ScanConflict
from registrants import services as registrant_services
from registrants.tests.factories import CompanyFactory, EventFactory, make_registrant
from webhooks import dispatch as webhook_dispatch

from .conftest import client_for

pytestmark = pytest.mark.django_db


def _strict(node: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema: `nullable` beside a `type`
    adds "null" to it; anywhere else it is dropped (it has no effect)."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _strict(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") and "type" in node:
        out["type"] = [node["type"], "null"]
    return out


class Conformance:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.paths = schema["paths"]
        self.components = _strict(schema["components"])
        self.checked: set[tuple[str, str, int]] = set()

    def check(self, response, method: str, template: str) -> None:
        """Validate `response` against the schema of (template, method, status)."""
        operation = self.paths[template][method]
        status = response.status_code
        assert str(status) in operation["responses"], (method, template, status, response.content)
        content = operation["responses"][str(status)].get("content", {})
        if status == 204:
            return
        schema = content["application/json"]["schema"]
        document = {"allOf": [_strict(schema)], "components": self.components}
        try:
            jsonschema.Draft7Validator(document).validate(response.json())
        except jsonschema.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path)
            pytest.fail(f"{method.upper()} {template} {status} at {where}: {exc.message}")
        self.checked.add((method, template, status))


@pytest.fixture
def conformance(anon_client) -> Conformance:
    return Conformance(anon_client.get("/api/schema/?format=json").json())


@pytest.fixture
def people(db):
    event = EventFactory(capacity=100)
    CompanyFactory(name="Globex")
    with_company = make_registrant(event, name="Ada", company="Acme", status="checked_in")
    without = make_registrant(event, name="Bo", company=None, status="registered")
    return {"event": event, "with": with_company, "without": without}


def test_every_answer_matches_its_schema(
    org_client, organiser, viewer, conformance, people, settings, tmp_path
):
    settings.IMPORT_UPLOAD_DIR = str(tmp_path)
    settings.IMPORT_RUNNER = "inline"
    check = conformance.check
    event, without = people["event"], people["without"]
    acme = people["with"].company
    e, r, c = event.pk, without.pk, acme.pk
    gateway_services.device_create(event_id=e, name="Door A", created_by=organiser)
    ScanConflict.objects.create(
        event=event,
        registrant=None,
        device=None,
        code="UNKNOWN",
        mode="entry",
        reason=ConflictReason.UNKNOWN_CODE,
        nonce="n1",
        scanned_at="2026-12-01T09:00:00Z",
        received_at="2026-12-01T09:00:01Z",
    )

    for client in (org_client, client_for(viewer)):
        check(client.get("/api/v1/registrants/"), "get", "/api/v1/registrants/")
        check(client.get(f"/api/v1/registrants/{r}/"), "get", "/api/v1/registrants/{id}/")
    check(org_client.get("/api/v1/events/"), "get", "/api/v1/events/")
    check(org_client.get(f"/api/v1/events/{e}/"), "get", "/api/v1/events/{id}/")
    check(org_client.get(f"/api/v1/events/{e}/stats/"), "get", "/api/v1/events/{id}/stats/")
    check(org_client.get("/api/v1/companies/"), "get", "/api/v1/companies/")
    check(org_client.get(f"/api/v1/companies/{c}/"), "get", "/api/v1/companies/{id}/")
    check(
        org_client.get(f"/api/v1/registrants/{r}/history/"),
        "get",
        "/api/v1/registrants/{id}/history/",
    )
    devices = "/api/v1/events/{event_id}/devices/"
    check(org_client.get(f"/api/v1/events/{e}/devices/"), "get", devices)
    conflicts = "/api/v1/events/{event_id}/scan-conflicts/"
    check(org_client.get(f"/api/v1/events/{e}/scan-conflicts/"), "get", conflicts)
    personal = "/api/v1/registrants/{id}/personal-data/"
    check(org_client.get(f"/api/v1/registrants/{r}/personal-data/"), "get", personal)
    check(org_client.get("/api/v1/audit/"), "get", "/api/v1/audit/")  # after the export: a row

    # The registration page (signup): settings with null times, questions, answers.
    page = "/api/v1/events/{id}/registration-page/"
    check(org_client.get(f"/api/v1/events/{e}/registration-page/"), "get", page)
    check(
        org_client.patch(f"/api/v1/events/{e}/registration-page/", {"enabled": True}), "patch", page
    )
    questions = "/api/v1/events/{id}/questions/"
    question = org_client.post(
        f"/api/v1/events/{e}/questions/", {"label": "Diet", "kind": "text"}, format="json"
    )
    check(question, "post", questions)
    check(org_client.get(f"/api/v1/events/{e}/questions/"), "get", questions)
    q = question.json()["id"]
    check(org_client.get(f"/api/v1/questions/{q}/"), "get", "/api/v1/questions/{id}/")
    check(
        org_client.patch(f"/api/v1/questions/{q}/", {"required": True}, format="json"),
        "patch",
        "/api/v1/questions/{id}/",
    )
    answers = "/api/v1/registrants/{id}/answers/"
    check(org_client.get(f"/api/v1/registrants/{r}/answers/"), "get", answers)

    # The waitlist: a full event's line, a seat freed and offered to its first.
    small = EventFactory(capacity=1)
    seated = make_registrant(small, name="Seated")
    waiter = make_registrant(small, name="Waiter", status="waitlisted")
    make_registrant(small, name="Second Waiter", status="waitlisted")
    registrant_services.registrant_change_status(registrant_id=seated.pk, to_status="cancelled")
    line = "/api/v1/events/{event_id}/waitlist/"
    check(org_client.get(f"/api/v1/events/{small.pk}/waitlist/"), "get", line)
    offers = "/api/v1/registrants/{id}/offers/"
    check(org_client.get(f"/api/v1/registrants/{waiter.pk}/offers/"), "get", offers)

    # Writes, each answer checked, including a registrant created without a company.
    check(
        org_client.post(
            "/api/v1/events/", {"name": "E2", "date": "2027-01-01", "capacity": 5}, format="json"
        ),
        "post",
        "/api/v1/events/",
    )
    check(
        org_client.patch(f"/api/v1/events/{e}/", {"capacity": 90}, format="json"),
        "patch",
        "/api/v1/events/{id}/",
    )
    check(
        org_client.post("/api/v1/companies/", {"name": "Initech"}, format="json"),
        "post",
        "/api/v1/companies/",
    )
    created = org_client.post(
        "/api/v1/registrants/", {"event": e, "name": "Cy", "email": "cy@x.io"}, format="json"
    )
    check(created, "post", "/api/v1/registrants/")
    assert created.json()["company"] is None
    check(
        org_client.patch(
            f"/api/v1/registrants/{people['with'].pk}/", {"company": ""}, format="json"
        ),
        "patch",
        "/api/v1/registrants/{id}/",
    )
    check(
        org_client.post(
            f"/api/v1/registrants/{r}/transitions/", {"to_status": "checked_in"}, format="json"
        ),
        "post",
        "/api/v1/registrants/{id}/transitions/",
    )
    code = created.json()["check_in_code"]
    for mode in ("desk", "desk", "entry"):  # first without a previous scan, then with one
        check(
            org_client.post("/api/v1/scan/", {"code": code, "mode": mode}, format="json"),
            "post",
            "/api/v1/scan/",
        )
    check(
        org_client.post(f"/api/v1/events/{e}/devices/", {"name": "Door B"}, format="json"),
        "post",
        devices,
    )
    upload = org_client.post(
        f"/api/v1/events/{e}/imports/",
        {"file": _csv_upload(), "mode": "valid_rows"},
        format="multipart",
    )
    check(upload, "post", "/api/v1/events/{id}/imports/")
    job = upload.json()["id"]
    check(org_client.get(f"/api/v1/imports/{job}/"), "get", "/api/v1/imports/{id}/")

    # Refusals answer the one error shape, as documented.
    check(org_client.get("/api/v1/registrants/999999/"), "get", "/api/v1/registrants/{id}/")
    check(
        org_client.post("/api/v1/registrants/", {"event": e}, format="json"),
        "post",
        "/api/v1/registrants/",
    )
    check(
        org_client.post(
            f"/api/v1/registrants/{r}/transitions/", {"to_status": "registered"}, format="json"
        ),
        "post",
        "/api/v1/registrants/{id}/transitions/",
    )
    check(client_for(None).get("/api/v1/events/"), "get", "/api/v1/events/")

    # Webhooks: an endpoint, a change, an attempt that failed (nothing listens on port 9).
    hook = org_client.post(
        f"/api/v1/events/{e}/webhooks/", {"url": "http://127.0.0.1:9/"}, format="json"
    )
    check(hook, "post", "/api/v1/events/{id}/webhooks/")
    org_client.post(
        f"/api/v1/registrants/{people['with'].pk}/transitions/", {"to_status": "entered"}
    )
    webhook_dispatch.send_due()
    h = hook.json()["id"]
    check(org_client.get(f"/api/v1/events/{e}/webhooks/"), "get", "/api/v1/events/{id}/webhooks/")
    check(org_client.get(f"/api/v1/webhooks/{h}/"), "get", "/api/v1/webhooks/{id}/")
    log = org_client.get(f"/api/v1/webhooks/{h}/deliveries/")
    check(log, "get", "/api/v1/webhooks/{id}/deliveries/")
    assert log.json()[0]["attempt_log"][0]["status_code"] is None
    check(
        org_client.patch(f"/api/v1/webhooks/{h}/", {"description": "CRM"}, format="json"),
        "patch",
        "/api/v1/webhooks/{id}/",
    )
    replay = f"/api/v1/webhook-deliveries/{log.json()[0]['id']}/replay/"
    check(org_client.post(replay), "post", "/api/v1/webhook-deliveries/{id}/replay/")

    documented_gets = {
        (m, p) for p, item in conformance.paths.items() for m in item if m == "get"
    } - {("get", "/api/v1/events/{id}/export/"), ("get", "/api/v1/imports/{id}/errors.csv")}
    assert documented_gets <= {(m, p) for m, p, _ in conformance.checked}


def _csv_upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = "name,email,company\nDee,dee@x.io,\nEve,eve@x.io,Acme\nbad,not-an-email,\n"
    return SimpleUploadedFile("p.csv", rows.encode(), content_type="text/csv")


def test_strict_reading_refuses_null_where_nullable_has_no_type():
    loose = {"allOf": [{"$ref": "#/components/schemas/Ref"}], "nullable": True}
    components = {"schemas": {"Ref": {"type": "object"}}}
    document = {"allOf": [_strict(loose)], "components": _strict(components)}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(document).validate(None)
    typed = {"type": "string", "nullable": True}
    jsonschema.Draft7Validator(_strict(typed)).validate(None)
