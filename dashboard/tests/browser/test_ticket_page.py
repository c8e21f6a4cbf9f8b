"""The attendee's ticket page in headless Chromium: the link of the
confirmation e-mail opens it, its QR code scans, and they cancel."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from mail.models import MailSettings
from registrants import services
from registrants.lifecycle import Status
from registrants.models import StatusChange
from registrants.tests.factories import EventFactory

pytestmark = pytest.mark.browser


def test_the_emailed_link_opens_the_ticket_whose_qr_scans_and_the_attendee_cancels(
    page, live_server, settings, tmp_path, shoot
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    settings.IMPORT_RUNNER = "inline"
    settings.SITE_URL = live_server.url
    event = EventFactory(name="Night of Code")
    MailSettings.objects.create(event=event, confirmations=True)
    ada = services.registrant_register(
        event_id=event.pk, name="Ada Lovelace", email="ada@example.com"
    )

    [mail_file] = list(tmp_path.iterdir())
    link = re.search(r"(http://\S+/ticket/\?t=\S+)", mail_file.read_text()).group(1)
    page.goto(link)
    expect(page.get_by_role("heading", name="Night of Code")).to_be_visible()
    expect(page.locator("[data-name]")).to_have_text("Ada Lovelace")
    qr = page.locator("img[data-qr]")
    expect(qr).to_be_visible()
    page.wait_for_function("document.querySelector('img[data-qr]').naturalWidth > 0")
    image = Image.open(io.BytesIO(qr.screenshot()))
    assert [b.text for b in zxingcpp.read_barcodes(image)] == [ada.check_in_code]
    shoot(page, "ticket-page")

    page.get_by_role("link", name="Cancel my registration…").click()
    page.get_by_role("button", name="Yes, cancel my registration").click()
    expect(page.locator(".messages")).to_contain_text("Your registration is cancelled.")
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "cancelled")
    expect(page.locator("img[data-qr]")).to_have_count(0)
    ada.refresh_from_db()
    assert ada.status == Status.CANCELLED
    assert StatusChange.objects.filter(registrant=ada).latest("id").actor is None
