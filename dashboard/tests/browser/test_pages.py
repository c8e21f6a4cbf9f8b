"""The pages in headless Chromium, at a laptop's and a tablet's size.

Each test leaves a screenshot under test-artifacts/screenshots/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from registrants import services
from registrants.lifecycle import Status
from registrants.models import Source

from .conftest import LAPTOP, PASSWORD, TABLET

pytestmark = pytest.mark.browser

SIZES = pytest.mark.parametrize("viewport", [LAPTOP, TABLET], ids=["laptop", "tablet"])


def test_log_in_lands_on_the_page_asked_for(page, live_server, conference, shoot):
    page.set_viewport_size(LAPTOP)
    event = conference["event"]
    page.goto(f"{live_server.url}/events/{event.pk}/registrants/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/events/\d+/registrants/$"))
    page.get_by_label("Username").fill("olga")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username")
    page.get_by_label("Password").fill(PASSWORD)
    shoot(page, "login")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/events/{event.pk}/registrants/")
    expect(page.get_by_role("heading", name="Registrants")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_server.url}/login/")


def test_events_list_shows_seats_and_links(open_as, conference, shoot):
    page = open_as("organiser", "/")
    card = page.locator(".event-card", has_text="Venue Day")
    expect(card).to_contain_text("10 of 120 seats taken")
    expect(card.get_by_role("link", name="Check-in desk")).to_be_visible()
    shoot(page, "events")


@SIZES
def test_filter_the_list_by_two_statuses_and_a_search(open_as, conference, shoot, viewport):
    event = conference["event"]
    path = f"/events/{event.pk}/registrants/"
    page = open_as("organiser", path, viewport)
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(11)

    page.locator("label.chip", has_text="Checked in").click()
    expect(page).to_have_url(re.compile(r"status=checked_in"))
    expect(rows).to_have_count(2)
    page.locator("label.chip", has_text="Entered").click()
    expect(page).to_have_url(re.compile(r"status=checked_in&status=entered"))
    expect(rows).to_have_count(6)

    page.get_by_label("Search name, email or company").press_sequentially("nasa", delay=40)
    expect(page).to_have_url(re.compile(r"status=checked_in&status=entered&search=nasa"))
    expect(rows).to_have_count(2)
    expect(page.locator("#results")).to_contain_text("Margaret Hamilton")
    expect(page.locator("#results")).to_contain_text("Katherine Johnson")
    # A search's chips are counted on request ("Count them", below).
    expect(page.locator("#count-registered")).to_have_text("")
    shoot(page, "list-filtered")

    # The URL is the state: opened in another tab, it shows the same view...
    other = page.context.new_page()
    other.goto(page.url)
    expect(other.locator("#results tbody tr")).to_have_count(2)
    expect(other.get_by_label("Search name, email or company")).to_have_value("nasa")
    expect(other.locator('input[name="status"][value="entered"]')).to_be_checked()
    other.close()
    # ...and the back button walks back through the filters.
    page.go_back()
    expect(page).to_have_url(re.compile(r"\?status=checked_in&status=entered$"))
    expect(rows).to_have_count(6)
    expect(page.get_by_label("Search name, email or company")).to_have_value("")
    page.go_back()
    expect(page).to_have_url(re.compile(r"\?status=checked_in$"))
    expect(rows).to_have_count(2)
    expect(page.locator('input[name="status"][value="entered"]')).not_to_be_checked()
    page.goto(f"{path}?status=checked_in&search=nasa")
    page.get_by_role("link", name="Count them").click()
    expect(page.locator("#count-registered")).to_have_text("0")
    expect(page.locator("#results")).to_contain_text("1 registrant matches")


def test_sort_by_a_column_and_back(open_as, conference):
    event = conference["event"]
    page = open_as("organiser", f"/events/{event.pk}/registrants/")
    first_name = page.locator("#results tbody tr").first.locator(".col-name a")
    expect(first_name).to_have_text("Ada Lovelace")
    page.get_by_role("link", name=re.compile("^Name")).click()
    expect(page).to_have_url(re.compile(r"ordering=-name"))
    expect(first_name).to_have_text("Radia Perlman")


def test_change_a_status_on_the_registrant_page_and_see_the_timeline_grow(
    open_as, conference, shoot
):
    ada = conference["ada"]
    page = open_as("organiser", f"/registrants/{ada.pk}/")
    timeline = page.locator("#timeline li")
    expect(timeline).to_have_count(1)

    page.get_by_label("Note").fill("came early")
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_role("status").filter(has_text="Ada Lovelace: checked in.")).to_be_visible()
    expect(timeline).to_have_count(2)
    expect(timeline.last).to_contain_text("came early")
    expect(timeline.last).to_contain_text("by olga")

    page.get_by_role("button", name="Let in").click()
    expect(timeline).to_have_count(3)
    expect(page.locator("#status-title")).to_contain_text("Entered")
    expect(page.get_by_role("button", name="Mark exited")).to_be_visible()
    shoot(page, "registrant-timeline")


def test_a_refused_transition_shows_the_reason(open_as, conference, users, shoot):
    ada = conference["ada"]
    page = open_as("organiser", f"/registrants/{ada.pk}/")
    # Someone else lets Ada in while this page still offers "Check in".
    for step in (Status.CHECKED_IN, Status.ENTERED):
        services.registrant_change_status(
            registrant_id=ada.pk, to_status=step, actor=users["staff"], source=Source.SCAN
        )
    page.get_by_role("button", name="Check in").click()
    # From entered, back to checked in is a correction now: it needs a note.
    alert = page.locator("[data-refusal]")
    expect(alert).to_have_text("A correction needs a note saying why; it is kept in the history.")
    # The panel now offers what is allowed from where she really is.
    expect(page.get_by_role("button", name="Mark exited")).to_be_visible()
    expect(page.get_by_role("button", name="Correct to checked in")).to_be_visible()
    expect(page.locator("#timeline li")).to_have_count(3)
    shoot(page, "refused-transition")


def test_a_refused_row_action_shows_the_reason_in_the_row(open_as, conference, users):
    grace = conference["grace"]
    page = open_as("organiser", f"/events/{conference['event'].pk}/registrants/")
    services.registrant_change_status(
        registrant_id=grace.pk, to_status=Status.ENTERED, actor=users["staff"], source=Source.SCAN
    )
    row = page.locator(f"#row-{grace.pk}")
    row.get_by_role("button", name="Undo check-in: Grace Hopper").click()
    expect(page.locator(f"#row-{grace.pk} .row-message--error")).to_contain_text(
        "Cannot move from entered to registered"
    )


def test_bulk_check_in_with_confirmation_and_a_result_per_row(open_as, conference, shoot):
    event = conference["event"]
    page = open_as("organiser", f"/events/{event.pk}/registrants/?status=registered,cancelled")
    expect(page.locator("#results tbody tr")).to_have_count(4)
    page.get_by_label("Select all on this page").check()
    expect(page.locator("#selected-count")).to_have_text("4 selected")
    page.get_by_role("button", name="Check in selected").click()
    expect(page.locator("#bulk-panel")).to_contain_text("Check in 4 registrants?")
    page.get_by_role("button", name="Yes, check in 4").click()
    summary = page.locator("[data-bulk-summary]")
    expect(summary).to_have_text("Check in: 3 changed, 0 unchanged, 1 refused")
    expect(page.locator('[data-bulk-result="refused"]')).to_contain_text("Ken Thompson")
    # The list re-reads itself: the three are checked in now.
    expect(page.locator("#count-registered")).to_have_text("0")
    shoot(page, "bulk-result")


@SIZES
def test_check_in_at_the_desk_by_code_and_by_name(open_as, conference, shoot, viewport):
    event, ada, dennis = conference["event"], conference["ada"], conference["dennis"]
    page = open_as("staff", f"/events/{event.pk}/desk/", viewport)
    box = page.get_by_label("Scan a badge or type a name")
    expect(box).to_be_focused()

    # A USB scanner types the code fast and presses Enter.
    box.press_sequentially(ada.check_in_code, delay=5)
    box.press("Enter")
    result = page.locator("#desk-output .scan-result")
    expect(result).to_have_attribute("data-outcome", "success")
    expect(result).to_contain_text("Ada Lovelace")
    expect(result).to_contain_text("Analytical Engines · Speaker")
    expect(box).to_be_focused()
    expect(box).to_have_value("")

    # The same badge again: already done, nothing written.
    box.press_sequentially(ada.check_in_code, delay=5)
    box.press("Enter")
    expect(result).to_have_attribute("data-outcome", "already")
    expect(result).to_contain_text("Checked in by sam at")

    # By name, keyboard only: type, arrow down, Enter.
    box.press_sequentially("denn", delay=40)
    expect(page.locator("#desk-matches [data-registrant]")).to_have_count(1)
    box.press("ArrowDown")
    expect(page.locator("#desk-matches .match--active")).to_contain_text("Dennis Ritchie")
    box.press("Enter")
    expect(result).to_have_attribute("data-outcome", "success")
    expect(result).to_contain_text("Dennis Ritchie")
    expect(page.locator("#desk-matches [data-registrant]")).to_have_count(0)

    # An unknown code.
    box.press_sequentially("not-a-real-code", delay=5)
    box.press("Enter")
    expect(result).to_have_attribute("data-outcome", "unknown")
    expect(page.locator("#recent-scans li")).to_have_count(4)
    shoot(page, "desk")

    dennis.refresh_from_db()
    ada.refresh_from_db()
    assert (ada.status, dennis.status) == (Status.CHECKED_IN, Status.CHECKED_IN)
    assert dennis.history.order_by("-id").first().source == Source.DASHBOARD
    assert ada.history.order_by("-id").first().source == Source.SCAN


def test_desk_modes_by_keyboard_and_a_refusal(open_as, conference, shoot):
    event, ada, ken = conference["event"], conference["ada"], conference["ken"]
    page = open_as("staff", f"/events/{event.pk}/desk/")
    box = page.get_by_label("Scan a badge or type a name")
    # Shift+Tab to the mode switch, arrow to Entry, Enter back to the input.
    box.press("Shift+Tab")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_label("Entry")).to_be_checked()
    expect(page).to_have_url(re.compile(r"mode=entry"))
    page.keyboard.press("Enter")
    expect(box).to_be_focused()

    box.press_sequentially(ada.check_in_code, delay=5)
    box.press("Enter")
    result = page.locator("#desk-output .scan-result")
    expect(result).to_contain_text("Now checked in and entered.")

    box.press_sequentially(ken.check_in_code, delay=5)
    box.press("Enter")
    expect(result).to_have_attribute("data-outcome", "refused")
    expect(result).to_contain_text("Ken Thompson's registration is cancelled.")
    shoot(page, "desk-refused")


def test_viewer_sees_no_buttons(open_as, conference, shoot):
    event, grace = conference["event"], conference["grace"]
    page = open_as("viewer", f"/events/{event.pk}/registrants/")
    expect(page.locator("#results tbody tr")).to_have_count(11)
    main = page.locator("main")
    expect(main.get_by_role("button")).to_have_count(1)  # the filter form's Apply
    expect(main.get_by_role("button", name="Apply")).to_be_visible()
    expect(page.locator(".row-select")).to_have_count(0)
    expect(page.get_by_role("link", name="Check-in desk")).to_have_count(0)
    shoot(page, "viewer-list")

    page.goto(page.url.split("/events/")[0] + f"/registrants/{grace.pk}/")
    expect(page.get_by_role("heading", name="Grace Hopper")).to_be_visible()
    expect(main.get_by_role("button")).to_have_count(0)
    expect(page.get_by_text("Edit details")).to_have_count(0)
    shoot(page, "viewer-registrant")


def test_dashboard_draws_charts_and_follows_changes(open_as, conference, users, shoot):
    event, ada = conference["event"], conference["ada"]
    page = open_as("viewer", f"/events/{event.pk}/dashboard/")
    checked_in = page.locator('[data-tile="checked_in"] [data-value]')
    expect(checked_in).to_have_text("2")
    for chart in ("status", "guest-types", "companies", "arrivals", "occupancy"):
        box = page.locator(f"#chart-{chart}").bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100
    shoot(page, "dashboard")
    services.registrant_change_status(
        registrant_id=ada.pk, to_status=Status.CHECKED_IN, actor=users["staff"], source=Source.SCAN
    )
    expect(checked_in).to_have_text("3", timeout=8_000)
    expect(page.locator("#feed tr").first).to_contain_text("Ada Lovelace")


def test_error_pages(open_as, conference, shoot):
    page = open_as("viewer", "/")
    response = page.goto(page.url + f"events/{conference['event'].pk}/desk/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="You may not do this")).to_be_visible()
    shoot(page, "error-403")
    response = page.goto(page.url.split("/events/")[0] + "/no/such/page/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="This page does not exist")).to_be_visible()
