"""The dashboard's "as of" slider in Chromium: moved with the keyboard to a
past moment, it shows that moment's counts (in the event's time zone) and
links to the list of who was inside then."""

from __future__ import annotations

import datetime
import re
import zoneinfo
from unittest import mock

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from registrants import services
from registrants.tests.factories import EventFactory

pytestmark = pytest.mark.browser


def _at(moment, call, **kwargs):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        return call(**kwargs)


def test_slider_shows_the_counts_of_a_past_moment(open_as, users, shoot):
    event = EventFactory(name="Night", time_zone="Europe/Paris")
    start = timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(hours=3)
    people = {
        name: _at(
            start,
            services.registrant_register,
            event_id=event.pk,
            name=name,
            email=f"{name.lower()}@example.com",
        )
        for name in ("Ada", "Bob", "Cy")
    }
    for minutes, name, status in [
        (60, "Ada", "checked_in"),
        (60, "Ada", "entered"),
        (120, "Bob", "checked_in"),
        (120, "Bob", "entered"),
        (150, "Ada", "exited"),
    ]:
        moment = start + datetime.timedelta(minutes=minutes)
        _at(
            moment,
            services.registrant_change_status,
            registrant_id=people[name].pk,
            to_status=status,
        )

    page = open_as("viewer", f"/events/{event.pk}/dashboard/")
    card = page.locator("[data-as-of]")
    slider = page.get_by_role("slider", name="Moment")

    def count(status: str):
        return card.locator(f'[data-as-of-status="{status}"] [data-as-of-count]')

    # At first: now (the live figures).
    expect(card).to_have_attribute("data-as-of-shown", "now")
    expect(count("entered")).to_have_text("1")
    expect(count("exited")).to_have_text("1")

    # Home: the first change, everyone registered.
    slider.focus()
    page.keyboard.press("Home")
    expect(card).to_have_attribute(
        "data-as-of-shown", re.compile("^" + start.strftime("%Y-%m-%dT%H:%M"))
    )
    expect(count("registered")).to_have_text("3")
    expect(count("entered")).to_have_text("0")

    # Thirteen steps of five minutes: 65 minutes in, Ada inside.
    for _ in range(13):
        page.keyboard.press("ArrowRight")
    moment = start + datetime.timedelta(minutes=65)
    local = moment.astimezone(zoneinfo.ZoneInfo("Europe/Paris")).strftime("%H:%M")
    expect(page.locator("#as-of-time")).to_contain_text(local)
    expect(slider).to_have_attribute("aria-valuetext", re.compile(local))
    expect(card).to_have_attribute("data-as-of-shown", moment.strftime("%Y-%m-%dT%H:%M:00.000Z"))
    expect(count("entered")).to_have_text("1")
    expect(count("registered")).to_have_text("2")
    expect(card.locator("[data-as-of-attendees]")).to_have_text("3")
    shoot(page, "as-of-slider")

    # Who was inside then: Ada, not Bob (inside now).
    card.locator('[data-as-of-status="entered"] [data-as-of-link]').click()
    expect(page.locator("[data-as-of-notice]")).to_contain_text("Who was entered")
    expect(page.locator("[data-as-of-notice]")).to_contain_text(local)
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Ada")
