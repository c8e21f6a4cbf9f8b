"""The Webhooks page in Chromium: add an endpoint, a change is delivered
(a failure, then the retry), the log shows both attempts, replay it."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from registrants import services
from registrants.lifecycle import Status
from webhooks import dispatch
from webhooks.models import Delivery, Endpoint
from webhooks.tests.conftest import Receiver

pytestmark = pytest.mark.browser


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_add_an_endpoint_see_a_retried_delivery_and_replay_it(open_as, conference, receiver, shoot):
    event = conference["event"]
    page = open_as("organiser", f"/events/{event.pk}/webhooks/")
    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("Description").fill("Our CRM")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_text("Endpoint added.")).to_be_visible()
    endpoint = Endpoint.objects.get()
    expect(page.locator("[data-secret]")).to_have_text(endpoint.secret)

    receiver.script.append(500)
    services.registrant_change_status(
        registrant_id=conference["ada"].pk, to_status=Status.CHECKED_IN
    )
    dispatch.send_due()  # what the worker (or the embedded thread) does
    page.reload()
    row = page.locator("tr[data-delivery]").first
    expect(row).to_have_attribute("data-state", "pending")
    expect(row).to_contain_text("HTTP 500")

    Delivery.objects.update(next_attempt_at=timezone.now())  # the backoff, skipped
    dispatch.send_due()
    page.reload()
    expect(row).to_have_attribute("data-state", "delivered")
    expect(row).to_contain_text("HTTP 200")
    expect(row.locator("td").nth(3)).to_have_text("2")
    shoot(page, "webhooks-delivered")

    row.get_by_role("button", name="Replay").click()
    expect(page.get_by_text("queued again")).to_be_visible()
    dispatch.send_due()
    page.reload()
    replay = page.locator("tr[data-delivery]").first
    expect(replay).to_contain_text("replay of")
    expect(replay).to_have_attribute("data-state", "delivered")
    assert receiver.verified(endpoint.secret) == [True, True, True]
    assert receiver.requests[1]["body"] == receiver.requests[2]["body"]
