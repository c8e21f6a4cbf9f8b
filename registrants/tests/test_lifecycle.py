"""Every (from, to) pair of the status table, allowed and refused."""

import pytest

from registrants import lifecycle, services
from registrants.errors import ApplicationError
from registrants.lifecycle import Status
from registrants.models import StatusChange
from registrants.tests.design import DESIGN_MOVES
from registrants.tests.factories import EventFactory, make_registrant
from registrants.tests.invariants import assert_invariants

ALL_PAIRS = [(a.value, b.value) for a in Status for b in Status if a != b]


def test_code_table_matches_design():
    assert {(a.value, b.value) for a, b in lifecycle.TRANSITIONS} == DESIGN_MOVES


@pytest.mark.django_db
@pytest.mark.parametrize(("from_status", "to_status"), ALL_PAIRS)
def test_every_pair_is_allowed_or_refused_as_designed(from_status, to_status):
    registrant = make_registrant(EventFactory(capacity=10), status=from_status)
    rows_before = StatusChange.objects.filter(registrant=registrant).count()
    if (from_status, to_status) in DESIGN_MOVES:
        result = services.registrant_change_status(
            registrant_id=registrant.pk, to_status=to_status, note="as designed"
        )
        assert result.changed
        registrant.refresh_from_db()
        assert registrant.status == to_status
        assert StatusChange.objects.filter(registrant=registrant).count() == rows_before + 1
    else:
        with pytest.raises(ApplicationError) as exc:
            services.registrant_change_status(registrant_id=registrant.pk, to_status=to_status)
        assert exc.value.code == "invalid_transition"
        assert exc.value.details["current_status"] == from_status
        registrant.refresh_from_db()
        assert registrant.status == from_status
        assert StatusChange.objects.filter(registrant=registrant).count() == rows_before
    assert_invariants()


@pytest.mark.django_db
@pytest.mark.parametrize("status", [s.value for s in Status])
def test_asking_for_the_current_status_is_a_noop(status):
    registrant = make_registrant(EventFactory(capacity=10), status=status)
    rows_before = StatusChange.objects.count()
    result = services.registrant_change_status(registrant_id=registrant.pk, to_status=status)
    assert result.changed is False
    assert StatusChange.objects.count() == rows_before


@pytest.mark.parametrize(
    ("mode", "current", "steps", "repeat", "refusal"),
    [
        ("desk", "registered", ("checked_in",), False, None),
        ("desk", "checked_in", (), True, None),
        ("desk", "entered", (), True, None),
        ("desk", "exited", (), True, None),
        ("desk", "cancelled", (), False, "cancelled"),
        ("entry", "registered", ("checked_in", "entered"), False, None),
        ("entry", "checked_in", ("entered",), False, None),
        ("entry", "entered", (), True, None),
        ("entry", "exited", ("entered",), False, None),
        ("entry", "cancelled", (), False, "cancelled"),
        ("exit", "registered", (), False, "invalid_transition"),
        ("exit", "checked_in", (), False, "invalid_transition"),
        ("exit", "entered", ("exited",), False, None),
        ("exit", "exited", (), True, None),
        ("exit", "cancelled", (), False, "cancelled"),
    ],
)
def test_scan_plan_for_every_mode_and_status(mode, current, steps, repeat, refusal):
    plan = lifecycle.plan_scan(mode, current)
    assert tuple(s.value for s in plan.steps) == steps
    assert plan.repeat is repeat
    assert plan.refusal == refusal
