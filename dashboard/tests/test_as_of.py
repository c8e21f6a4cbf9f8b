"""The dashboard's "as of" card and the list of who had a status then."""

from __future__ import annotations

import datetime
import json
from unittest import mock

from django.urls import reverse

from registrants import services
from registrants.tests.factories import EventFactory

T0 = datetime.datetime(2026, 11, 28, 20, 0, tzinfo=datetime.UTC)


def _night(event):
    """Ada enters at 20:10 and leaves at 20:40; Bob enters at 20:30."""
    people = {}
    with mock.patch("django.utils.timezone.now", return_value=T0):
        for name in ("Ada", "Bob", "Cy"):
            people[name] = services.registrant_register(
                event_id=event.pk, name=name, email=f"{name.lower()}@example.com"
            )
    for minutes, name, status in [
        (10, "Ada", "checked_in"),
        (10, "Ada", "entered"),
        (30, "Bob", "checked_in"),
        (30, "Bob", "entered"),
        (40, "Ada", "exited"),
    ]:
        at = T0 + datetime.timedelta(minutes=minutes)
        with mock.patch("django.utils.timezone.now", return_value=at):
            services.registrant_change_status(registrant_id=people[name].pk, to_status=status)
    return people


def _names(response) -> list[str]:
    assert response.status_code == 200
    return sorted(row.registrant.name for row in response.context["listing"].rows)


def test_list_of_who_was_inside_at_a_moment(viewer_web):
    event = EventFactory(time_zone="Europe/Paris")
    _night(event)
    url = reverse("dashboard:registrants", args=[event.pk])
    at_2035 = (T0 + datetime.timedelta(minutes=35)).isoformat()
    response = viewer_web.get(url, {"status_at": "entered", "at": at_2035})
    assert _names(response) == ["Ada", "Bob"]
    page = response.content.decode()
    # The moment in the event's time zone (UTC+1), and the filter kept in the form.
    assert "Who was entered" in page and "28 Nov 2026 21:35 (Europe/Paris)" in page
    assert 'name="status_at" value="entered"' in page
    at_2045 = (T0 + datetime.timedelta(minutes=45)).isoformat()
    assert _names(viewer_web.get(url, {"status_at": "entered", "at": at_2045})) == ["Bob"]
    assert _names(viewer_web.get(url, {"status_at": "exited", "at": at_2045})) == ["Ada"]


def test_a_bad_moment_is_reported_and_ignored(viewer_web):
    event = EventFactory()
    _night(event)
    url = reverse("dashboard:registrants", args=[event.pk])
    response = viewer_web.get(url, {"status_at": "entered", "at": "9999-12-31T23:00-05:00"})
    assert response.status_code == 200
    assert any(e.startswith("at:") for e in response.context["listing"].errors)


def test_dashboard_carries_the_slider_bounds(org_web):
    event = EventFactory(time_zone="Europe/Paris")
    _night(event)
    response = org_web.get(reverse("dashboard:event_dashboard", args=[event.pk]))
    page = response.content.decode()
    assert 'id="as-of-slider"' in page and "dashboard/js/as_of.js" in page
    config = response.context["as_of_config"]
    assert datetime.datetime.fromisoformat(config["start"]) == T0
    assert config["time_zone"] == "Europe/Paris"
    assert config["stats_url"] == f"/api/v1/events/{event.pk}/stats/"
    json.dumps(config)


def test_dashboard_gives_the_card_the_counts_now(org_web):
    event = EventFactory()
    _night(event)
    config = org_web.get(reverse("dashboard:event_dashboard", args=[event.pk])).context[
        "as_of_config"
    ]
    assert config["now"]["by_status"] == {
        "waitlisted": 0,
        "registered": 1,
        "checked_in": 0,
        "entered": 1,
        "exited": 1,
        "cancelled": 0,
    }
    assert config["now"]["attendees"] == 3
