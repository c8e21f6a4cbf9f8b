"""The registrant list's polish in Chromium: cards at phone width, long
names that wrap, "select all N matching", export links that carry the
filters and the company type-ahead."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from registrants.tests.factories import make_registrant

from .conftest import LAPTOP

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LONG_NAME = (
    "Maria Magdalena Wilhelmina Anastasia von Hohenzollern-Sigmaringen-Lichtenstein "
    "Supercalifragilisticexpialidociousnesswithoutanyspaces"
)
# A name with no place to break, as pasted identifiers or joined names come.
UNBROKEN_NAME = "Wolfeschlegelsteinhausenbergerdorff" * 4


def _inside(box, width: int) -> bool:
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5


def test_list_at_390px_shows_status_and_actions_for_each_row(open_as, conference, shoot):
    event = conference["event"]
    make_registrant(event, name=LONG_NAME, company="A company with a long name as well")
    page = open_as("organiser", f"/events/{event.pk}/registrants/", PHONE)
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(12)
    for i in range(rows.count()):
        row = rows.nth(i)
        row.scroll_into_view_if_needed()
        status = row.locator(".col-status .status")
        expect(status).to_be_visible()
        assert _inside(status.bounding_box(), PHONE["width"]), row.inner_text()
        buttons = row.locator(".col-actions button")
        if "Cancelled" not in status.inner_text():
            assert buttons.count() >= 1, row.inner_text()
        for j in range(buttons.count()):
            expect(buttons.nth(j)).to_be_visible()
            assert _inside(buttons.nth(j).bounding_box(), PHONE["width"]), row.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "list-phone")


def test_long_names_wrap_and_keep_actions_in_view_at_laptop_width(open_as, conference, shoot):
    event = conference["event"]
    people = [make_registrant(event, name=name) for name in (LONG_NAME, UNBROKEN_NAME)]
    page = open_as("organiser", f"/events/{event.pk}/registrants/", LAPTOP)
    for person in people:
        row = page.locator(f"#row-{person.pk}")
        button = row.get_by_role("button", name=f"Check in: {person.name}")
        expect(button).to_be_visible()
        assert _inside(button.bounding_box(), LAPTOP["width"]), person.name
        name_box = row.locator(".col-name").bounding_box()
        assert name_box["height"] > 2 * 16  # wrapped onto several lines
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
    shoot(page, "list-long-name")


def test_select_all_matching_checks_in_every_page(open_as, conference, monkeypatch, shoot):
    monkeypatch.setattr("dashboard.listing.PAGE_SIZE", 2)
    event = conference["event"]
    page = open_as("organiser", f"/events/{event.pk}/registrants/?status=registered")
    expect(page.locator("#results tbody tr")).to_have_count(2)
    page.get_by_label("Select all 3 matching, not only this page").check()
    expect(page.locator("#selected-count")).to_have_text("All 3 matching selected")
    page.get_by_role("button", name="Check in selected").click()
    panel = page.locator("#bulk-panel")
    expect(panel.locator("[data-bulk-question]")).to_have_text(
        "Check in all 3 registrants matching these filters?"
    )
    page.get_by_role("button", name="Yes, check in 3").click()
    expect(page.locator("[data-bulk-summary]")).to_have_text(
        "Check in: 3 changed, 0 unchanged, 0 refused"
    )
    expect(page.locator("#count-registered")).to_have_text("0")
    expect(page.locator("#results tbody tr")).to_have_count(1)  # "No registrants match"
    shoot(page, "bulk-all-matching")


def test_export_link_carries_the_filters(open_as, conference):
    event = conference["event"]
    page = open_as("organiser", f"/events/{event.pk}/registrants/")
    page.locator("label.chip", has_text="Checked in").click()
    expect(page).to_have_url(re.compile(r"status=checked_in"))
    expect(page.locator("#results tbody tr")).to_have_count(2)
    link = page.locator('a[data-export="csv"]')
    expect(link).to_have_text("CSV")
    href = link.get_attribute("href")
    parts = urlsplit(href)
    assert parts.path == reverse("imports-api:export", args=[event.pk])
    assert parse_qs(parts.query) == {"status": ["checked_in"], "format": ["csv"]}
    xlsx = parse_qs(urlsplit(page.locator('a[data-export="xlsx"]').get_attribute("href")).query)
    assert xlsx == {"status": ["checked_in"], "format": ["xlsx"]}
    body = page.request.get(href).text()
    assert "Grace Hopper" in body and "Margaret Hamilton" in body
    assert "Ada Lovelace" not in body


def test_company_type_ahead_filters_by_the_picked_company(open_as, conference):
    event = conference["event"]
    page = open_as("organiser", f"/events/{event.pk}/registrants/")
    box = page.get_by_label("Company", exact=True)
    expect(box).to_have_attribute("list", "company-options")
    options = page.locator("#company-options option")
    names = [options.nth(i).get_attribute("value") for i in range(options.count())]
    assert "NASA" in names and "Bell Labs" in names
    box.fill("nasa")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"company=\d+"))
    expect(page.locator("#results tbody tr")).to_have_count(2)
    expect(page.locator("#results")).to_contain_text("Katherine Johnson")
    box.fill("Nobody Inc")
    box.press("Enter")
    expect(page.locator("#company-hint")).to_contain_text("No company of this event")
    expect(page.locator("#results tbody tr")).to_have_count(2)
