"""The waitlist over the API: joining, the line, offers, acceptance, scans."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from registrants import services
from registrants.models import WaitlistOffer
from registrants.tests.factories import EventFactory, make_registrant

from .conftest import assert_error

pytestmark = pytest.mark.django_db


def _post(client, event, n: int, **extra):
    body = {"event": event.pk, "name": f"Person {n}", "email": f"p{n}@example.com", **extra}
    return client.post("/api/v1/registrants/", body, format="json")


@pytest.fixture
def full_event():
    event = EventFactory(capacity=1)
    make_registrant(event)
    return event


def test_post_when_full_is_409_event_full_by_default(org_client, full_event):
    assert_error(_post(org_client, full_event, 1), 409, "event_full")


def test_post_with_waitlist_true_joins_the_waitlist(org_client, full_event):
    response = _post(org_client, full_event, 1, waitlist=True)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "waitlisted"
    assert body["allowed_transitions"] == ["registered", "cancelled"]


def test_waitlist_must_be_a_boolean(org_client, full_event):
    assert_error(_post(org_client, full_event, 1, waitlist="soon"), 400, "validation_error")


def test_the_event_waitlist_lists_people_in_order_with_their_offers(org_client, full_event):
    first = _post(org_client, full_event, 1, waitlist=True).json()["id"]
    second = _post(org_client, full_event, 2, waitlist=True).json()["id"]
    response = org_client.get(f"/api/v1/events/{full_event.pk}/waitlist/")
    assert response.status_code == 200
    assert [(e["position"], e["id"], e["offer"]) for e in response.json()] == [
        (1, first, None),
        (2, second, None),
    ]
    services.event_update(event_id=full_event.pk, capacity=2)
    entries = org_client.get(f"/api/v1/events/{full_event.pk}/waitlist/").json()
    assert entries[0]["offer"]["state"] == "open" and entries[1]["offer"] is None


def test_reading_the_waitlist_passes_a_lapsed_offer_to_the_next(org_client, full_event):
    first = _post(org_client, full_event, 1, waitlist=True).json()["id"]
    second = _post(org_client, full_event, 2, waitlist=True).json()["id"]
    services.event_update(event_id=full_event.pk, capacity=2)
    WaitlistOffer.objects.filter(registrant_id=first).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    entries = org_client.get(f"/api/v1/events/{full_event.pk}/waitlist/").json()
    assert [(e["id"], e["offer"]["state"]) for e in entries] == [
        (first, "expired"),
        (second, "open"),
    ]
    offers = org_client.get(f"/api/v1/registrants/{first}/offers/").json()
    assert [o["state"] for o in offers] == ["expired"]


def test_accepting_an_offer_over_the_api(org_client, full_event):
    first = _post(org_client, full_event, 1, waitlist=True).json()["id"]
    assert_error(org_client.post(f"/api/v1/registrants/{first}/offers/accept/"), 409, "no_offer")
    services.event_update(event_id=full_event.pk, capacity=2)
    response = org_client.post(f"/api/v1/registrants/{first}/offers/accept/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["changed"] and body["registrant"]["status"] == "registered"
    assert body["changes"][0]["kind"] == "promote"
    history = org_client.get(f"/api/v1/registrants/{first}/history/").json()
    assert [h["to_status"] for h in history] == ["waitlisted", "registered"]


def test_staff_may_not_accept_offers(staff_client, full_event):
    waiter = make_registrant(full_event, status="waitlisted")
    response = staff_client.post(f"/api/v1/registrants/{waiter.pk}/offers/accept/")
    assert_error(response, 403, "permission_denied")


def test_promotion_by_transition_needs_a_free_seat(org_client, full_event):
    waiter = _post(org_client, full_event, 1, waitlist=True).json()["id"]
    response = org_client.post(
        f"/api/v1/registrants/{waiter}/transitions/", {"to_status": "registered"}, format="json"
    )
    assert_error(response, 409, "event_full")
    services.event_update(event_id=full_event.pk, capacity=2)
    response = org_client.post(
        f"/api/v1/registrants/{waiter}/transitions/", {"to_status": "registered"}, format="json"
    )
    assert response.status_code == 200 and response.json()["changed"]


def test_a_waitlisted_person_cannot_be_checked_in(org_client, full_event):
    waiter = _post(org_client, full_event, 1, waitlist=True).json()["id"]
    response = org_client.post(
        f"/api/v1/registrants/{waiter}/transitions/", {"to_status": "checked_in"}, format="json"
    )
    error = assert_error(response, 409, "invalid_transition")
    assert error["details"]["allowed"] == ["registered", "cancelled"]


@pytest.mark.parametrize("mode", ["desk", "entry"])
def test_scanning_a_waitlisted_badge_is_refused_and_writes_nothing(staff_client, full_event, mode):
    waiter = make_registrant(full_event, status="waitlisted")
    response = staff_client.post(
        "/api/v1/scan/",
        {"code": waiter.check_in_code, "mode": mode, "event": full_event.pk},
        format="json",
    )
    error = assert_error(response, 409, "waitlisted")
    assert error["details"]["registrant"]["id"] == waiter.pk
    assert waiter.history.count() == 1


def test_stats_count_the_waitlisted(viewer_client, full_event):
    make_registrant(full_event, status="waitlisted")
    stats = viewer_client.get(f"/api/v1/events/{full_event.pk}/stats/").json()
    assert stats["by_status"]["waitlisted"] == 1
    assert stats["attendees"] == 1


def test_event_offer_hours_are_a_setting(org_client, full_event):
    response = org_client.patch(
        f"/api/v1/events/{full_event.pk}/", {"waitlist_offer_hours": 6}, format="json"
    )
    assert response.status_code == 200 and response.json()["waitlist_offer_hours"] == 6
    response = org_client.patch(
        f"/api/v1/events/{full_event.pk}/", {"waitlist_offer_hours": 0}, format="json"
    )
    assert_error(response, 400, "validation_error")


def test_the_export_carries_and_filters_the_waitlisted(org_client, full_event):
    waiter = _post(org_client, full_event, 1, waitlist=True).json()["id"]
    response = org_client.get(
        f"/api/v1/events/{full_event.pk}/export/?format=csv&status=waitlisted"
    )
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 2 and lines[1].startswith(f"{waiter},")
    assert ",waitlisted," in lines[1]


def test_history_as_of_counts_the_waitlisted(viewer_client, full_event):
    make_registrant(full_event, status="waitlisted")
    later = (timezone.now() + datetime.timedelta(seconds=1)).isoformat()
    stats = viewer_client.get(f"/api/v1/events/{full_event.pk}/stats/", {"at": later}).json()
    assert stats["by_status"]["waitlisted"] == 1 and stats["attendees"] == 1
