"""A user's token scans only for the events the user may access
(registrants.permissions): the gateway answers 403 as the DRF scan does."""

from __future__ import annotations

import pytest

from accounts.models import EventAssignment
from gateway import auth
from registrants.tests.factories import EventFactory, make_registrant

from .conftest import bearer, user_token

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_of_another_event_is_refused_scan_and_batch(gateway, staff, organiser):
    mine, theirs = EventFactory(), EventFactory()
    EventAssignment.objects.create(user=staff, event=mine)
    badge = make_registrant(theirs)
    headers = bearer(user_token(staff))
    body = {"code": badge.check_in_code, "mode": "desk", "event": theirs.pk}
    refused = gateway.post("/gateway/v1/scan", json=body, headers=headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    batch = {
        "event": theirs.pk,
        "items": [
            {
                "code": badge.check_in_code,
                "mode": "desk",
                "nonce": "b1",
                "scanned_at": "2026-01-01T10:00:00Z",
            }
        ],
    }
    refused = gateway.post("/gateway/v1/scan/batch", json=batch, headers=headers)
    assert refused.status_code == 403
    badge.refresh_from_db()
    assert badge.status == "registered"
    # Their own event still scans; an organiser is never limited.
    own = make_registrant(mine)
    body = {"code": own.check_in_code, "mode": "desk", "event": mine.pk}
    assert gateway.post("/gateway/v1/scan", json=body, headers=headers).status_code == 200
    EventAssignment.objects.create(user=organiser, event=mine)
    body = {"code": badge.check_in_code, "mode": "desk", "event": theirs.pk}
    org = bearer(user_token(organiser))
    assert gateway.post("/gateway/v1/scan", json=body, headers=org).status_code == 200


def test_a_new_assignment_reaches_a_cached_principal_at_once(gateway, staff):
    mine, theirs = EventFactory(), EventFactory()
    badge = make_registrant(theirs)
    headers = bearer(user_token(staff))
    body = {"code": badge.check_in_code, "mode": "desk", "event": theirs.pk, "nonce": "n1"}
    scan = gateway.post("/gateway/v1/scan", json={**body, "mode": "exit"}, headers=headers)
    assert scan.status_code == 409  # read and cached: not inside yet
    EventAssignment.objects.create(user=staff, event=mine)
    refused = gateway.post("/gateway/v1/scan", json=body, headers=headers)
    assert refused.status_code == 403


def test_the_principal_read_carries_the_assigned_events(staff, organiser):
    first, second = EventFactory(), EventFactory()
    assert auth.load_principal(user_token(staff)).events is None
    EventAssignment.objects.create(user=staff, event=first)
    EventAssignment.objects.create(user=staff, event=second)
    EventAssignment.objects.create(user=organiser, event=first)
    assert auth.load_principal(user_token(staff)).events == {first.pk, second.pk}
    assert auth.load_principal(user_token(organiser)).events is None
