"""Events created, edited and closed from the pages; the event's time zone
and door modes on its pages."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from registrants import services
from registrants.lifecycle import Status
from registrants.models import Event
from registrants.tests.factories import EventFactory, make_registrant

NEW = {
    "name": "Winter Gala",
    "date": "2026-12-24",
    "capacity": "300",
    "time_zone": "America/New_York",
    "door_modes": ["desk", "entry"],
}


def test_organiser_creates_an_event_from_the_events_page(org_web, db):
    page = org_web.get(reverse("dashboard:events")).content.decode()
    assert reverse("dashboard:event_new") in page
    assert org_web.get(reverse("dashboard:event_new")).status_code == 200
    response = org_web.post(reverse("dashboard:event_new"), NEW)
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:events")
    event = Event.objects.get(name="Winter Gala")
    assert (event.date, event.capacity, event.time_zone, event.door_modes, event.closed) == (
        datetime.date(2026, 12, 24),
        300,
        "America/New_York",
        ["desk", "entry"],
        False,
    )


def test_new_event_form_offers_the_deployments_time_zone_and_every_mode(org_web, settings):
    form = org_web.get(reverse("dashboard:event_new")).context["form"]
    assert form["time_zone"].value() == settings.TIME_ZONE
    assert form["door_modes"].value() == ["desk", "entry", "exit"]


@pytest.mark.parametrize(
    "change,field",
    [
        ({"capacity": "0"}, "capacity"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"door_modes": []}, "door_modes"),
        ({"name": ""}, "name"),
        ({"date": "24/12/2026x"}, "date"),
    ],
)
def test_invalid_event_is_a_400_naming_the_field(org_web, db, change, field):
    response = org_web.post(reverse("dashboard:event_new"), {**NEW, **change})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Event.objects.exists()


def test_edit_saves_every_field_and_can_close_the_event(org_web, event):
    url = reverse("dashboard:event_edit", args=[event.pk])
    assert url in org_web.get(reverse("dashboard:events")).content.decode()
    form = org_web.get(url).context["form"]
    assert form["capacity"].value() == event.capacity
    response = org_web.post(url, {**NEW, "capacity": "50", "closed": "on"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.name, event.capacity, event.closed, event.door_modes) == (
        "Winter Gala",
        50,
        True,
        ["desk", "entry"],
    )


def test_lowering_capacity_below_seats_taken_is_refused_on_the_form(org_web):
    event = EventFactory(capacity=5)
    for i in range(3):
        make_registrant(event, name=f"P{i}")
    response = org_web.post(
        reverse("dashboard:event_edit", args=[event.pk]),
        {**NEW, "capacity": "2"},
    )
    assert response.status_code == 409
    assert response.context["form"].errors["capacity"] == [
        "Capacity cannot go below the 3 seats already taken."
    ]
    event.refresh_from_db()
    # Nothing of the refused edit was written, not even the other fields.
    assert event.capacity == 5 and event.name != "Winter Gala"


def test_closed_events_are_listed_apart(org_web, db):
    EventFactory(name="Open one")
    EventFactory(name="Shut one", closed=True)
    html = org_web.get(reverse("dashboard:events")).content.decode()
    assert html.index("Open one") < html.index("Closed events") < html.index("Shut one")


def test_a_closed_event_still_checks_people_in(staff_web):
    event = EventFactory()
    ada = make_registrant(event)
    services.event_update(event_id=event.pk, closed=True)
    response = staff_web.post(
        reverse("dashboard:desk_scan", args=[event.pk]),
        {"mode": "desk", "code": ada.check_in_code},
    )
    assert response.status_code == 200
    ada.refresh_from_db()
    assert ada.status == Status.CHECKED_IN


@pytest.mark.parametrize("role", ["staff", "viewer", "nobody"])
def test_only_organisers_open_or_post_the_event_forms(web_for, event, role):
    client = web_for[role]
    edit = reverse("dashboard:event_edit", args=[event.pk])
    assert client.get(reverse("dashboard:event_new")).status_code == 403
    assert client.post(reverse("dashboard:event_new"), NEW).status_code == 403
    assert client.get(edit).status_code == 403
    assert client.post(edit, {**NEW, "capacity": "1"}).status_code == 403
    event.refresh_from_db()
    assert event.capacity == 1000 and Event.objects.count() == 1
    html = client.get(reverse("dashboard:events")).content.decode() if role != "nobody" else ""
    assert "New event" not in html and edit not in html


def test_anonymous_event_forms_go_to_the_login_page(anon_web, event):
    for url in (reverse("dashboard:event_new"), reverse("dashboard:event_edit", args=[event.pk])):
        response = anon_web.post(url, NEW)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert Event.objects.count() == 1


def test_desk_offers_only_the_events_door_modes(staff_web):
    event = EventFactory(door_modes=["entry", "exit"])
    ada = make_registrant(event)
    html = staff_web.get(reverse("dashboard:desk", args=[event.pk])).content.decode()
    assert 'value="desk"' not in html
    assert 'value="entry" checked' in html and 'value="exit"' in html
    # A mode the desk does not offer falls back to its first one.
    response = staff_web.post(
        reverse("dashboard:desk_scan", args=[event.pk]),
        {"mode": "desk", "code": ada.check_in_code},
    )
    assert response.context["result"]["mode"] == "entry"
    ada.refresh_from_db()
    assert ada.status == Status.ENTERED


def test_the_events_pages_show_times_in_the_events_time_zone(org_web, organiser):
    # 17:30 UTC is 12:30 in New York and 18:30 in Paris (December).
    at = datetime.datetime(2026, 12, 1, 17, 30, tzinfo=datetime.UTC)
    shown = {}
    for zone in ("America/New_York", "Europe/Paris"):
        event = EventFactory(time_zone=zone)
        ada = make_registrant(event, name=f"Ada {zone}")
        type(ada).objects.filter(pk=ada.pk).update(created_at=at)
        html = org_web.get(reverse("dashboard:registrant", args=[ada.pk])).content.decode()
        shown[zone] = "1 Dec 2026 12:30" in html, "1 Dec 2026 18:30" in html
    assert shown == {"America/New_York": (True, False), "Europe/Paris": (False, True)}


def test_edit_form_gives_the_date_in_the_format_a_date_input_reads(org_web, event):
    html = org_web.get(reverse("dashboard:event_edit", args=[event.pk])).content.decode()
    assert 'type="date"' in html and 'value="2026-12-01"' in html


def test_the_api_keeps_one_time_zone_whatever_the_event(db, rf, settings):
    from django.utils import timezone

    from dashboard.event_time import EventTimeZoneMiddleware

    event = EventFactory(time_zone="Asia/Tokyo")
    seen = {}

    def view(request, event_id):
        return None

    for path in ("/api/v1/events/1/export/", f"/events/{event.pk}/desk/"):
        request = rf.get(path)
        request.resolver_match = None
        middleware = EventTimeZoneMiddleware(lambda r: None)
        middleware.process_view(request, view, (), {"event_id": event.pk})
        seen[path] = timezone.get_current_timezone_name()
        timezone.deactivate()
    assert seen == {
        "/api/v1/events/1/export/": settings.TIME_ZONE,
        f"/events/{event.pk}/desk/": "Asia/Tokyo",
    }
