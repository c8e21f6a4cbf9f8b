"""An event's time zone, door modes and closing, through the API and services."""

from __future__ import annotations

import pytest

from registrants import services
from registrants.errors import ApplicationError
from registrants.lifecycle import Status
from registrants.models import Event, Registrant
from registrants.tests.factories import EventFactory, make_registrant

from .conftest import assert_error

CONF = {"name": "Conf", "date": "2027-03-04", "capacity": 10}


def test_new_event_defaults_to_the_deployments_zone_every_mode_and_open(org_client, settings):
    body = org_client.post("/api/v1/events/", CONF, format="json").json()
    assert (body["time_zone"], body["door_modes"], body["closed"]) == (
        settings.TIME_ZONE,
        ["desk", "entry", "exit"],
        False,
    )


def test_event_options_are_created_read_and_patched(org_client):
    body = org_client.post(
        "/api/v1/events/",
        {**CONF, "time_zone": "Asia/Tokyo", "door_modes": ["exit", "entry"], "closed": True},
        format="json",
    ).json()
    # Modes come back in the lifecycle's order, whatever order they were sent in.
    assert (body["time_zone"], body["door_modes"], body["closed"]) == (
        "Asia/Tokyo",
        ["entry", "exit"],
        True,
    )
    patched = org_client.patch(
        f"/api/v1/events/{body['id']}/",
        {"time_zone": "Europe/Paris", "door_modes": ["desk"], "closed": False},
        format="json",
    ).json()
    assert (patched["time_zone"], patched["door_modes"], patched["closed"]) == (
        "Europe/Paris",
        ["desk"],
        False,
    )


@pytest.mark.parametrize(
    "change,field",
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "../etc/passwd"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"door_modes": []}, "door_modes"),
        ({"door_modes": ["lobby"]}, "door_modes"),
        ({"door_modes": "desk"}, "door_modes"),
        ({"closed": "maybe"}, "closed"),
    ],
)
def test_bad_event_options_are_a_400_naming_the_field(org_client, event, change, field):
    created = org_client.post("/api/v1/events/", {**CONF, **change}, format="json")
    assert field in assert_error(created, 400, "validation_error")["fields"]
    patched = org_client.patch(f"/api/v1/events/{event.pk}/", change, format="json")
    assert field in assert_error(patched, 400, "validation_error")["fields"]
    assert Event.objects.count() == 1
    event.refresh_from_db()
    assert (event.door_modes, event.closed) == (["desk", "entry", "exit"], False)


def test_a_closed_event_refuses_new_registrations_with_event_closed(org_client):
    event = EventFactory(closed=True)
    response = org_client.post(
        "/api/v1/registrants/",
        {"event": event.pk, "name": "Late", "email": "late@example.com"},
        format="json",
    )
    assert_error(response, 409, "event_closed")
    assert not Registrant.objects.exists()


def test_a_closed_event_still_scans_and_changes_statuses(staff_client):
    event = EventFactory()
    ada = make_registrant(event)
    services.event_update(event_id=event.pk, closed=True)
    response = staff_client.post(
        "/api/v1/scan/",
        {"code": ada.check_in_code, "mode": "desk", "event": event.pk},
        format="json",
    )
    assert response.status_code == 200, response.content
    ada.refresh_from_db()
    assert ada.status == Status.CHECKED_IN


def test_a_closed_event_refuses_an_import(db, organiser):
    event = EventFactory(closed=True)
    with pytest.raises(ApplicationError) as refused:
        services.registrants_import_batch(
            event_id=event.pk,
            rows=[services.ImportedRegistrant(2, "Imp", "imp@example.com", "attendee")],
            expected=1,
            actor=organiser,
            marker="import:closed",
            all_or_nothing=True,
        )
    assert refused.value.code == "event_closed"
    assert not Registrant.objects.exists()


def test_staff_may_not_change_event_options(staff_client, event):
    response = staff_client.patch(f"/api/v1/events/{event.pk}/", {"closed": True}, format="json")
    assert_error(response, 403, "permission_denied")
    event.refresh_from_db()
    assert event.closed is False
