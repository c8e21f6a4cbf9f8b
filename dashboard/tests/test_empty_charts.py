"""Charts with nothing to plot say so ("No check-ins yet") on the event
dashboard and in numbers.json, instead of drawing empty axes."""

from __future__ import annotations

import re

from django.urls import reverse

from registrants.lifecycle import Status
from registrants.tests.factories import make_registrant


def _visible_notes(html: str) -> dict[str, bool]:
    return {
        key: hidden == ""
        for key, hidden in re.findall(
            r'<p class="chart__empty" data-empty-for="(\w+)"( hidden)?>', html
        )
    }


def test_an_event_without_registrants_says_so_on_every_chart(org_web, event):
    html = org_web.get(reverse("dashboard:event_dashboard", args=[event.pk])).content.decode()
    assert _visible_notes(html) == dict.fromkeys(
        ["status", "guest_types", "companies", "arrivals", "occupancy"], True
    )
    assert html.count("No check-ins yet") == 2


def test_registrants_without_check_ins_leave_only_the_time_charts_empty(org_web, event):
    make_registrant(event, company="Acme")
    html = org_web.get(reverse("dashboard:event_dashboard", args=[event.pk])).content.decode()
    assert _visible_notes(html) == {
        "status": False,
        "guest_types": False,
        "companies": False,
        "arrivals": True,
        "occupancy": True,
    }


def test_a_check_in_fills_the_time_charts_in_numbers_json(org_web, event):
    make_registrant(event, status=Status.CHECKED_IN)
    numbers = org_web.get(reverse("dashboard:event_numbers", args=[event.pk])).json()
    assert numbers["empty"]["arrivals"] is False
    assert numbers["empty"]["occupancy"] is False
