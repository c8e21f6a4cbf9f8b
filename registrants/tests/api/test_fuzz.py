"""R1/R2: schemathesis fuzzes every operation of the API from its own schema.

All checks (no 5xx, documented status codes, content types, headers and
response bodies), as an organiser and as every other identity (check-in
staff, viewer, a user without a role, no token). Path ids are drawn partly
from rows that exist, so that detail endpoints answer 200 as well as 404.
"""

from __future__ import annotations

import time

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import DataGenerationMethod
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.tokens import token_create
from registrants.models import Company, Event, Registrant
from registrants.roles import CHECKIN_STAFF, ORGANISER, VIEWER
from registrants.tests.factories import make_user

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]

CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
)

# Examples per operation: the organiser reaches every write path, so it gets
# the most; 20 operations x (25 + 4 x 8) = 1,140 cases (more with the
# imports/export operations when that app is installed).
EXAMPLES = {"organiser": 25, "checkin_staff": 8, "viewer": 8, "norole": 8, "anonymous": 8}
NEGATIVE = False
ROLES = {"organiser": ORGANISER, "checkin_staff": CHECKIN_STAFF, "viewer": VIEWER, "norole": None}

_schema_cache: dict[str, schemathesis.BaseSchema] = {}


def load_schema():
    if "schema" not in _schema_cache:
        from config.wsgi import application

        _schema_cache["schema"] = schemathesis.from_wsgi(
            "/api/schema/?format=json",
            application,
            data_generation_methods=[DataGenerationMethod.positive, DataGenerationMethod.negative],
        )
    return _schema_cache["schema"]


def seed():
    """Rows for detail endpoints to find: events, companies, registrants in every status."""
    from registrants.tests.factories import CompanyFactory, EventFactory, make_registrant

    events = [EventFactory(capacity=50), EventFactory(capacity=3), EventFactory(capacity=10)]
    for name in ("Acme", "Globex", "Initech", "Umbrella"):
        CompanyFactory(name=name)
    for i, status in enumerate(["registered", "checked_in", "entered", "exited", "cancelled"] * 2):
        make_registrant(
            events[0], name=f"Fuzz {i}", company="Acme" if i % 2 else None, status=status
        )
    make_registrant(events[1], name="Small", status="registered")


def known_ids(path: str) -> list[int]:
    if path.startswith("/api/v1/events/"):
        return list(Event.objects.values_list("pk", flat=True))
    if path.startswith("/api/v1/companies/"):
        return list(Company.objects.values_list("pk", flat=True))
    if path.startswith("/api/v1/registrants/"):
        return list(Registrant.objects.values_list("pk", flat=True))
    return []


def run_operations(headers: dict[str, str], examples: int) -> tuple[int, int]:
    """Fuzz every operation; return (cases run, server errors seen)."""
    schema = load_schema()
    counts = {"cases": 0, "5xx": 0}
    for result in schema.get_all_operations():
        operation = result.ok()
        ids = known_ids(operation.path)
        strategy = operation.as_strategy(data_generation_method=DataGenerationMethod.positive)
        negative = operation.as_strategy(data_generation_method=DataGenerationMethod.negative)
        strategy = st.one_of(strategy, negative) if NEGATIVE else strategy
        if ids and "{id}" in operation.path:
            strategy = st.tuples(strategy, st.sampled_from(ids), st.booleans()).map(
                lambda t: _with_id(*t)
            )

        @hypothesis.settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @hypothesis.given(case=strategy)
        def fuzz(case):
            counts["cases"] += 1
            response = case.call(headers=headers)
            if response.status_code >= 500:
                counts["5xx"] += 1
            case.validate_response(response, checks=CHECKS, headers=headers)

        fuzz()
    return counts["cases"], counts["5xx"]


def _with_id(case, known_id, use_known):
    if use_known and case.path_parameters and "id" in case.path_parameters:
        case.path_parameters["id"] = known_id
    return case


@pytest.fixture
def keep_test_connection():
    """The WSGI app sends request_started/finished, whose close_old_connections
    would really close the test's connection once CONN_MAX_AGE has passed
    (PostgreSQL), mid-transaction. Django's own test client detaches it the
    same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("identity", list(EXAMPLES))
def test_fuzz_every_operation(identity, capsys, keep_test_connection):
    seed()
    headers = {}
    if identity != "anonymous":
        user = make_user(f"fuzz-{identity}", ROLES[identity])
        headers["Authorization"] = f"Bearer {token_create(user=user)[1]}"
    started = time.monotonic()
    cases, server_errors = run_operations(headers, EXAMPLES[identity])
    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(
            f"\nschemathesis[{identity}]: {cases} cases, {server_errors} server errors, {elapsed:.1f}s"
        )
    assert server_errors == 0
    assert cases >= 20 * EXAMPLES[identity]
