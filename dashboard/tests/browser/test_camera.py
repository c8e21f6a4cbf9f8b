"""Camera scanning at the desk: Chromium's fake camera plays a video of a
real badge (rendered by the badge code, as printed), and the desk must read
its QR code and check the person in, as a keyboard scanner would."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image
from playwright.sync_api import expect

from badges.layouts import LAYOUTS
from badges.render import render_badges
from badges.selectors import badge_for
from registrants.lifecycle import Status
from registrants.models import Source

from .conftest import CHROMIUM, logged_in_pages

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 640, 480


def badge_video(registrant, path: Path) -> Path:
    """A Y4M video (what Chromium's fake camera plays) of the registrant's
    A6 badge, printed and held up to a camera: the page rendered at about
    the camera's resolution on a grey background."""
    pdf = render_badges([badge_for(registrant)], LAYOUTS["a6"])
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0]
        scale = (HEIGHT - 20) / page.get_size()[1]
        badge = page.render(scale=scale).to_pil().convert("RGB")
    finally:
        document.close()
    frame = Image.new("RGB", (WIDTH, HEIGHT), (128, 128, 128))
    frame.paste(badge, ((WIDTH - badge.width) // 2, (HEIGHT - badge.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    chroma = (WIDTH // 2, HEIGHT // 2)
    planes = y.tobytes() + cb.resize(chroma).tobytes() + cr.resize(chroma).tobytes()
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(10):
            out.write(b"FRAME\n" + planes)
    return path


@pytest.fixture
def camera_pages(playwright, live_server, users, conference, tmp_path):
    """open(role, path) in a Chromium whose camera shows Ada's badge."""
    video = badge_video(conference["ada"], tmp_path / "badge.y4m")
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        yield from logged_in_pages(browser, live_server.url, users)
    finally:
        browser.close()


def test_the_camera_reads_a_printed_badge_and_checks_its_holder_in(camera_pages, conference, shoot):
    event, ada = conference["event"], conference["ada"]
    page = camera_pages("staff", f"/events/{event.pk}/desk/")
    page.get_by_role("button", name="Scan with camera").click()
    result = page.locator("#desk-output .scan-result")
    expect(result).to_have_attribute("data-outcome", "success", timeout=15_000)
    expect(result).to_contain_text("Ada Lovelace")
    expect(page.locator("#desk-camera")).to_have_attribute("data-decoder", "jsqr")
    # The same tone as a keyboard scan's check-in.
    expect(page.locator("#desk")).to_have_attribute("data-last-tone", "success")
    shoot(page, "desk-camera")

    ada.refresh_from_db()
    assert ada.status == Status.CHECKED_IN
    check_in = ada.history.order_by("-id").first()
    assert (check_in.source, check_in.actor.username) == (Source.SCAN, "sam")

    # The badge stays in view: after the pause the same code is read again
    # and answered as a repeat, which writes nothing.
    expect(result).to_have_attribute("data-outcome", "already", timeout=15_000)
    assert ada.history.count() == 2

    page.get_by_role("button", name="Stop camera").click()
    expect(page.locator("#desk-camera")).to_be_hidden()
    expect(page.get_by_label("Scan a badge or type a name")).to_be_focused()


def test_without_a_camera_the_desk_says_so_and_stays_keyboard_first(open_as, conference):
    event, grace = conference["event"], conference["grace"]
    page = open_as("staff", f"/events/{event.pk}/desk/")
    page.get_by_role("button", name="Scan with camera").click()
    expect(page.locator("#camera-status")).to_contain_text("Camera scanning is off")
    box = page.get_by_label("Scan a badge or type a name")
    expect(box).to_be_focused()
    box.press_sequentially(grace.check_in_code, delay=5)
    box.press("Enter")
    expect(page.locator("#desk-output .scan-result")).to_have_attribute("data-outcome", "already")


def test_enter_on_a_name_with_one_match_checks_that_person_in(open_as, conference):
    event, dennis = conference["event"], conference["dennis"]
    page = open_as("staff", f"/events/{event.pk}/desk/")
    box = page.get_by_label("Scan a badge or type a name")
    box.press_sequentially("Ritchie", delay=20)
    expect(page.locator("#desk-matches [data-registrant]")).to_have_count(1)
    box.press("Enter")
    result = page.locator("#desk-output .scan-result")
    expect(result).to_have_attribute("data-outcome", "success")
    expect(result).to_contain_text("Dennis Ritchie")
    dennis.refresh_from_db()
    assert dennis.status == Status.CHECKED_IN
