"""The public registration page in headless Chromium: someone registers with
answers (company suggested as they type), then the organiser sees them, with
the answers, on the registrant page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from registrants.models import Registrant
from registrants.tests.factories import CompanyFactory, EventFactory
from signup import services

from .conftest import LAPTOP

pytestmark = pytest.mark.browser


@pytest.fixture
def event_with_page(users):
    event = EventFactory(name="Open Day", capacity=50)
    services.registration_page_update(
        event_id=event.pk, actor=None, enabled=True, guest_types=["attendee", "press"]
    )
    services.question_create(
        event_id=event.pk,
        actor=None,
        label="Dietary needs",
        kind="choice",
        choices=["None", "Vegetarian", "Vegan"],
        required=True,
    )
    services.question_create(
        event_id=event.pk, actor=None, label="Wheelchair access", kind="yes_no"
    )
    services.question_create(
        event_id=event.pk, actor=None, label="Accessibility notes", kind="text"
    )
    CompanyFactory(name="Analytical Engines Ltd")
    return event


def test_register_on_the_public_page_and_see_the_answers(
    browser, live_server, open_as, event_with_page, shoot
):
    event = event_with_page
    context = browser.new_context(viewport=LAPTOP, base_url=live_server.url)
    violations: list[str] = []
    context.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page = context.new_page()
    page.goto(f"/register/{event.pk}/")
    expect(page.get_by_role("heading", name="Register for Open Day")).to_be_visible()
    # The honeypot is out of sight.
    expect(page.locator(".honeypot input")).not_to_be_in_viewport()

    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Company").press_sequentially("analytical")
    expect(page.locator("#company-suggestions option")).to_have_count(1)
    expect(page.locator("#company-suggestions option")).to_have_attribute(
        "value", "Analytical Engines Ltd"
    )
    page.get_by_label("Company").fill("Analytical Engines Ltd")
    page.get_by_label("I am coming as").select_option("press")
    page.get_by_label("Dietary needs").select_option("Vegan")
    page.get_by_role("radio", name="Yes").check()
    page.get_by_label("Accessibility notes").fill("Step-free entrance, please")
    shoot(page, "registration-form")
    page.get_by_role("button", name="Register").dblclick()  # a double-click registers once

    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(page.locator("#registration")).to_contain_text("Thank you, Ada Lovelace")
    shoot(page, "registration-thanks")
    context.close()
    assert violations == []

    registrant = Registrant.objects.get(event=event)
    assert Registrant.objects.filter(event=event).count() == 1
    detail = open_as("organiser", f"/registrants/{registrant.pk}/")
    details = detail.locator("dl.details")
    expect(details).to_contain_text("Analytical Engines Ltd")
    expect(details).to_contain_text("Press")
    expect(details).to_contain_text("Dietary needs")
    expect(details).to_contain_text("Vegan")
    expect(details).to_contain_text("Wheelchair access")
    expect(details).to_contain_text("Yes")
    expect(details).to_contain_text("Step-free entrance, please")
    shoot(detail, "registrant-with-answers")


def test_organiser_sets_up_the_page_from_the_event_settings(open_as, users, shoot):
    event = EventFactory(name="Setup Day", capacity=50)
    page = open_as("organiser", f"/events/{event.pk}/edit/")
    page.get_by_role("link", name="Registration page and questions").click()
    page.get_by_label("Public registration page").check()
    page.get_by_label("Attendee").check()
    page.get_by_label("Speaker").check()
    page.get_by_role("button", name="Save registration page").click()
    expect(page.locator("#public-url")).to_contain_text(f"/register/{event.pk}/")
    form = page.locator("#new-question")
    form.get_by_label("Label").fill("T-shirt size")
    form.get_by_label("Answer").select_option("choice")
    form.get_by_label("Options").fill("S\nM\nL")
    form.get_by_role("button", name="Add question").click()
    expect(page.locator("summary", has_text="T-shirt size")).to_be_visible()
    shoot(page, "registration-settings")
