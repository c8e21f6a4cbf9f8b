"""Badge printing from the desk and the badge page, in headless Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_desk_prints_the_badge_of_whoever_it_checks_in(open_as, conference, shoot):
    event, ada, grace = conference["event"], conference["ada"], conference["grace"]
    page = open_as("staff", f"/events/{event.pk}/desk/")
    box = page.get_by_label("Scan a badge or type a name")
    toggle = page.get_by_label("Print badge on check-in")
    toggle.check()
    expect(box).to_be_focused()

    with page.expect_response(
        lambda r: r.url.endswith(f"/registrants/{ada.pk}/badge.pdf")
    ) as badge:
        box.press_sequentially(ada.check_in_code, delay=5)
        box.press("Enter")
    assert badge.value.status == 200
    assert badge.value.header_value("content-type") == "application/pdf"
    expect(page.locator("#badge-frame")).to_have_attribute(
        "src", f"/registrants/{ada.pk}/badge.pdf"
    )
    # The frame's load handler clears the mark when it opens the print dialog.
    expect(page.locator("#badge-frame")).not_to_have_attribute("data-printing", "1")
    expect(box).to_be_focused()
    shoot(page, "desk-printing")

    # The choice is remembered: the desk loaded again, in a new tab of the
    # same browser (reloading the tab whose frame printed the PDF crashed
    # headless Chromium's page about one time in eight); a repeat scan
    # (nothing checked in) prints nothing.
    page = page.context.new_page()
    page.goto(f"/events/{event.pk}/desk/")
    expect(page.get_by_label("Print badge on check-in")).to_be_checked()
    box = page.get_by_label("Scan a badge or type a name")
    box.press_sequentially(grace.check_in_code, delay=5)
    box.press("Enter")
    expect(page.locator("#desk-output .scan-result")).to_have_attribute("data-outcome", "already")
    expect(page.locator("#badge-frame")).not_to_have_attribute(
        "src", f"/registrants/{grace.pk}/badge.pdf"
    )


def test_organiser_chooses_the_layout_on_the_badge_page(open_as, conference, shoot):
    event = conference["event"]
    page = open_as("organiser", f"/events/{event.pk}/dashboard/")
    page.get_by_role("navigation", name="Event").get_by_role("link", name="Badges").click()
    page.get_by_label("A4 sheet, 8 badges (105 x 74 mm)").check()
    page.get_by_role("button", name="Save layout").click()
    expect(page.get_by_role("status").or_(page.locator(".messages"))).to_contain_text(
        "A4 sheet, 8 badges"
    )
    expect(page.get_by_label("A4 sheet, 8 badges (105 x 74 mm)")).to_be_checked()
    shoot(page, "badges")
