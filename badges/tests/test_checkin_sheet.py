"""The printable check-in sheet: alphabetical, everyone expected, no full
codes, for staff and organisers only."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
from django.urls import reverse

from badges.sheet import CODE_TAIL
from registrants import services
from registrants.lifecycle import Status
from registrants.tests.factories import EventFactory, make_registrant


def _pages(content: bytes) -> list[str]:
    pdf = pdfium.PdfDocument(content)
    texts = []
    for page in pdf:
        text = page.get_textpage()
        # pdfium reads a "-" that ends a line as a possible hyphenation
        # (U+FFFE): a code tail ending in "-" (one code in 64) read wrong.
        texts.append(text.get_text_range().replace("\ufffe", "-"))
    return texts


@pytest.fixture
def people(event):
    return {
        "zed": make_registrant(event, name="zed Zimmer", company="Zeta Ltd", guest_type="speaker"),
        "emile": make_registrant(event, name="Émile Zola", company="Rougon"),
        "anna": make_registrant(event, name="Anna Berg", status=Status.CHECKED_IN),
        "emil": make_registrant(event, name="Emil Nolde"),
        "gone": make_registrant(event, name="Cancelled Carl", status=Status.CANCELLED),
        "other": make_registrant(EventFactory(name="Elsewhere"), name="Bob Elsewhere"),
    }


def _sheet(client, event):
    return client.get(reverse("badges:checkin_sheet", args=[event.pk]))


def test_sheet_lists_the_event_alphabetically_without_full_codes(org_web, event, people):
    response = _sheet(org_web, event)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    (text,) = _pages(response.content)
    names = ["Anna Berg", "Emil Nolde", "Émile Zola", "zed Zimmer"]
    positions = [text.index(n) for n in names]
    assert positions == sorted(positions)
    assert "Cancelled Carl" not in text
    assert "Bob Elsewhere" not in text
    assert "Zeta Ltd" in text and "Speaker" in text and "Checked in" in text
    assert event.name in text and "Printed " in text and "page 1" in text
    for person in ("zed", "emile", "anna", "emil"):
        code = people[person].check_in_code
        assert code[-CODE_TAIL:] in text
        assert code not in text
        assert code[:-CODE_TAIL] not in text


def test_every_page_has_the_header_and_no_row_is_lost(org_web, event):
    for i in range(75):
        make_registrant(event, name=f"Person {i:03d}")
    pages = _pages(_sheet(org_web, event).content)
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert event.name in text and f"page {number}" in text
    joined = "\n".join(pages)
    assert all(f"Person {i:03d}" in joined for i in range(75))


def test_staff_may_print_the_sheet_and_viewers_may_not(staff_web, viewer_web, event, people):
    assert _sheet(staff_web, event).status_code == 200
    assert _sheet(viewer_web, event).status_code == 403


def test_erased_registrants_are_left_off(org_web, event, people):
    services.registrant_delete(registrant_id=people["emil"].pk)
    (text,) = _pages(_sheet(org_web, event).content)
    assert "Emil Nolde" not in text
    assert "Anna Berg" in text


def test_sheet_is_linked_from_desk_and_dashboard_for_staff_only(
    staff_web, viewer_web, org_web, event
):
    sheet = reverse("badges:checkin_sheet", args=[event.pk])
    assert sheet in staff_web.get(reverse("dashboard:desk", args=[event.pk])).content.decode()
    dashboard = reverse("dashboard:event_dashboard", args=[event.pk])
    assert sheet in org_web.get(dashboard).content.decode()
    assert sheet not in viewer_web.get(dashboard).content.decode()


def test_unknown_event_is_404(org_web):
    assert org_web.get(reverse("badges:checkin_sheet", args=[999999])).status_code == 404
