"""Corrections on the registrant page, in headless Chromium: an organiser
fixes a mistaken entry with a note; check-in staff are not offered it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from registrants.lifecycle import Status

pytestmark = pytest.mark.browser


def test_organiser_corrects_a_mistaken_entry_and_staff_cannot(open_as, conference, shoot):
    alan = conference["alan"]  # entered
    staff_page = open_as("staff", f"/registrants/{alan.pk}/")
    expect(staff_page.get_by_role("button", name="Mark exited")).to_be_visible()
    expect(staff_page.get_by_role("button", name="Correct to checked in")).to_have_count(0)

    page = open_as("organiser", f"/registrants/{alan.pk}/")
    page.get_by_role("button", name="Correct to checked in").click()
    expect(page.locator("[data-refusal]")).to_contain_text("needs a note")
    page.get_by_label("Note").fill("scanned at the wrong door")
    page.get_by_role("button", name="Correct to checked in").click()
    expect(page.locator("#status-title")).to_contain_text("Checked in")
    last = page.locator("#timeline li").last
    expect(last).to_contain_text("Correction")
    expect(last).to_contain_text("scanned at the wrong door")
    shoot(page, "correction")
    alan.refresh_from_db()
    assert alan.status == Status.CHECKED_IN
