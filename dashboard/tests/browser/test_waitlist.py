"""The organiser's waitlist flow in headless Chromium: a full event, people
waiting, two seats freed at once by a bulk cancellation, two offers to two
different people, then a promotion by hand."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from registrants import services
from registrants.lifecycle import Status
from registrants.models import Registrant, WaitlistOffer

pytestmark = pytest.mark.browser


def test_two_seats_freed_at_once_go_to_two_people(open_as, users, shoot):
    event = services.event_create(name="Sold out", date=datetime.date(2026, 12, 1), capacity=3)
    for n in range(3):
        services.registrant_register(event_id=event.pk, name=f"Seated {n}", email=f"s{n}@ex.com")
    waiting = [
        services.registrant_register(
            event_id=event.pk, name=f"Waiter {n}", email=f"w{n}@ex.com", join_waitlist=True
        )
        for n in range(3)
    ]
    assert {w.status for w in waiting} == {Status.WAITLISTED}

    page = open_as("organiser", f"/events/{event.pk}/dashboard/")
    expect(page.locator('[data-tile="waitlisted"] [data-value]')).to_have_text("3")

    page.goto(page.url.replace("/dashboard/", "/registrants/?status=registered"))
    expect(page.locator("#results tbody tr")).to_have_count(3)
    page.get_by_label("Select Seated 0").check()
    page.get_by_label("Select Seated 1").check()
    page.get_by_role("button", name="Cancel selected").click()
    page.get_by_role("button", name="Yes, cancel 2").click()
    expect(page.locator("[data-bulk-summary]")).to_contain_text("2 changed")

    page.goto(page.url.split("/registrants/")[0] + "/waitlist/")
    rows = page.locator("#waitlist tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_have_attribute("data-offer", "open")
    expect(rows.nth(1)).to_have_attribute("data-offer", "open")
    expect(rows.nth(2)).to_have_attribute("data-offer", "none")
    shoot(page, "waitlist-two-offers")
    offered = set(
        WaitlistOffer.objects.filter(event=event, state="open").values_list(
            "registrant_id", flat=True
        )
    )
    assert offered == {waiting[0].pk, waiting[1].pk}

    # The first accepts by hand through the organiser: promoted, the line moves up.
    rows.nth(0).get_by_role("button", name="Promote").click()
    expect(page.locator("#waitlist tbody tr")).to_have_count(2)
    assert Registrant.objects.get(pk=waiting[0].pk).status == Status.REGISTERED
    assert services.seats_held(event_id=event.pk) == event.capacity
