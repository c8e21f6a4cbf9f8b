"""Fuzzing the gateway against its own OpenAPI (/gateway/openapi.json):
schemathesis's checks (no 5xx, only documented status codes and content
types, answers matching their schemas) on generated bodies.

The bodies come from plain Hypothesis strategies that follow the schema
(and stray from it), not from schemathesis's generator: its
hypothesis-jsonschema needs an older Hypothesis than the lock's.
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from registrants.tests.factories import make_registrant

from .conftest import bearer

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db(transaction=True)]

CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)

anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def event_ids(event_id: int):
    return st.sampled_from([event_id]) | st.integers() | anything


def scan_bodies(codes: list[str], event_id: int):
    code = st.sampled_from(codes) | st.text(max_size=140)
    mode = st.sampled_from(["desk", "entry", "exit"]) | st.text(max_size=6)
    nonce = st.text(min_size=1, max_size=70)
    good = st.fixed_dictionaries(
        {"code": code, "mode": mode}, optional={"nonce": nonce, "event": event_ids(event_id)}
    )
    return good | anything


def batch_bodies(codes: list[str], event_id: int):
    when = st.datetimes(timezones=st.just(__import__("datetime").UTC)).map(
        lambda d: d.isoformat()
    ) | st.text(max_size=30)
    item = (
        st.fixed_dictionaries(
            {
                "code": st.sampled_from(codes) | st.text(max_size=20),
                "mode": st.sampled_from(["desk", "entry", "exit"]),
                "nonce": st.text(min_size=1, max_size=70),
                "scanned_at": when,
            }
        )
        | anything
    )
    return (
        st.fixed_dictionaries(
            {"items": st.lists(item, max_size=8)}, optional={"event": event_ids(event_id)}
        )
        | anything
    )


def test_gateway_schema_fuzz(gateway, event, device_key):
    codes = [
        make_registrant(event, name=f"Fuzz {i}", status=s).check_in_code
        for i, s in enumerate(["registered", "checked_in", "entered", "exited", "cancelled"])
    ]
    schema = schemathesis.from_dict(
        gateway.get("/gateway/openapi.json").json(), force_schema_version="30"
    )
    operations = {op.ok().path: op.ok() for op in schema.get_all_operations()}
    assert set(operations) == {"/gateway/v1/scan", "/gateway/v1/scan/batch"}
    failures: list[str] = []
    cases = 0

    def fuzz(path, operation, bodies):
        @hypothesis.settings(
            max_examples=120,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @hypothesis.given(body=bodies, authenticated=st.booleans())
        def run(body, authenticated):
            nonlocal cases
            cases += 1
            case = operation.make_case(body=body, media_type="application/json")
            response = gateway.post(
                case.formatted_path, json=body, headers=bearer(device_key) if authenticated else {}
            )
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as exc:  # collected, reported together
                failures.append(f"{path} {body!r}: {exc}"[:600])

        run()

    fuzz("/gateway/v1/scan", operations["/gateway/v1/scan"], scan_bodies(codes, event.pk))
    fuzz(
        "/gateway/v1/scan/batch",
        operations["/gateway/v1/scan/batch"],
        batch_bodies(codes, event.pk),
    )
    assert cases >= 200
    assert not failures, "\n".join(failures[:10])
