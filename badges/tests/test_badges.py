"""Badges: what they carry, who may print them, and the batch of a filtered list."""

from __future__ import annotations

import pytest
from django.urls import reverse

from badges.layouts import LAYOUTS
from badges.models import BadgeSettings
from dashboard.tests.conftest import logged_in
from registrants.lifecycle import Status
from registrants.models import GuestType
from registrants.tests.factories import EventFactory, make_registrant

from .qr import decode_pdf, page_sizes

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return EventFactory(name="Venue Day", capacity=100)


def _codes(pdf: bytes) -> list[str]:
    return [code for page in decode_pdf(pdf) for code in page]


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_the_qr_on_a_badge_decodes_to_exactly_the_check_in_code(staff_web, event, layout):
    person = make_registrant(event, name="Zoë García-Ångström", company="Analytical Engines")
    response = staff_web.get(reverse("badges:registrant", args=[person.pk]) + f"?layout={layout}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert decode_pdf(response.content) == [[person.check_in_code]]


def test_a_badge_prints_on_the_layout_the_organiser_chose(org_web, event):
    person = make_registrant(event)
    answer = org_web.post(reverse("badges:layout", args=[event.pk]), {"layout": "a4_8"})
    assert answer.status_code == 302
    assert BadgeSettings.objects.get(event=event).layout == "a4_8"
    pdf = org_web.get(reverse("badges:registrant", args=[person.pk])).content
    page = decode_pdf(pdf)
    assert page == [[person.check_in_code]]
    assert page_sizes(pdf) == [(595, 842)]  # an A4 sheet, not the default A6 page


def test_batch_holds_exactly_the_filtered_list_without_the_cancelled(staff_web, event):
    speakers = [
        make_registrant(event, name=f"Speaker {i}", guest_type=GuestType.SPEAKER) for i in range(9)
    ]
    make_registrant(event, name="Some Attendee", guest_type=GuestType.ATTENDEE)
    make_registrant(
        event, name="Gone Speaker", guest_type=GuestType.SPEAKER, status=Status.CANCELLED
    )
    other_event = EventFactory()
    make_registrant(other_event, name="Elsewhere", guest_type=GuestType.SPEAKER)
    url = reverse("badges:event_pdf", args=[event.pk]) + "?guest_type=speaker&layout=a4_8"
    response = staff_web.get(url)
    assert response.status_code == 200
    pages = decode_pdf(response.content)
    assert [len(page) for page in pages] == [8, 1]
    assert sorted(_codes(response.content)) == sorted(s.check_in_code for s in speakers)


def test_batch_includes_cancelled_people_when_the_list_is_filtered_on_them(staff_web, event):
    gone = make_registrant(event, status=Status.CANCELLED)
    make_registrant(event)
    url = reverse("badges:event_pdf", args=[event.pk]) + "?status=cancelled"
    assert _codes(staff_web.get(url).content) == [gone.check_in_code]


def test_batch_over_the_limit_is_refused_with_the_limit_named(staff_web, event, settings):
    settings.BADGE_BATCH_MAX = 2
    for _ in range(3):
        make_registrant(event)
    response = staff_web.get(reverse("badges:event_pdf", args=[event.pk]))
    assert response.status_code == 400
    assert "at most 2 at a time" in response.content.decode()


@pytest.mark.parametrize(
    "query", ["?status=nonsense", "?created_after=yesterday", "?layout=poster"]
)
def test_bad_batch_parameters_are_a_400_with_a_message(staff_web, event, query):
    response = staff_web.get(reverse("badges:event_pdf", args=[event.pk]) + query)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_viewers_never_get_badges_or_codes(viewer_web, event):
    person = make_registrant(event)
    for url in (
        reverse("badges:registrant", args=[person.pk]),
        reverse("badges:event_pdf", args=[event.pk]),
        reverse("badges:event", args=[event.pk]),
    ):
        assert viewer_web.get(url).status_code == 403
    assert (
        viewer_web.post(reverse("badges:layout", args=[event.pk]), {"layout": "a6"}).status_code
        == 403
    )


def test_anonymous_visitors_are_sent_to_log_in(anon_web, event):
    person = make_registrant(event)
    response = anon_web.get(reverse("badges:registrant", args=[person.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_check_in_staff_print_but_do_not_choose_the_layout(staff_web, event):
    page = staff_web.get(reverse("badges:event", args=[event.pk]))
    assert page.status_code == 200
    assert 'name="layout"' not in page.content.decode()
    refused = staff_web.post(reverse("badges:layout", args=[event.pk]), {"layout": "a4_8"})
    assert refused.status_code == 403
    assert not BadgeSettings.objects.filter(event=event).exists()


def test_an_unknown_layout_is_refused(org_web, event):
    response = org_web.post(reverse("badges:layout", args=[event.pk]), {"layout": "poster"})
    assert response.status_code == 400
    assert not BadgeSettings.objects.filter(event=event).exists()


def test_the_registrant_page_and_the_list_link_to_badges_for_staff_only(
    staff_web, viewer_web, event
):
    person = make_registrant(event, guest_type=GuestType.SPEAKER)
    badge_url = reverse("badges:registrant", args=[person.pk])
    assert (
        badge_url
        in staff_web.get(reverse("dashboard:registrant", args=[person.pk])).content.decode()
    )
    assert (
        badge_url
        not in viewer_web.get(reverse("dashboard:registrant", args=[person.pk])).content.decode()
    )
    batch = reverse("badges:event_pdf", args=[event.pk]) + "?guest_type=speaker"
    listing = staff_web.get(
        reverse("dashboard:registrants", args=[event.pk]) + "?guest_type=speaker"
    )
    assert batch in listing.content.decode().replace("&amp;", "&")


def test_a_desk_check_in_offers_the_badge_and_a_repeat_does_not(staff, event):
    web = logged_in(staff)
    person = make_registrant(event)
    url = reverse("dashboard:desk_scan", args=[event.pk])
    first = web.post(url, {"mode": "desk", "code": person.check_in_code}, HTTP_HX_REQUEST="true")
    assert (
        f'data-badge-url="{reverse("badges:registrant", args=[person.pk])}"'
        in first.content.decode()
    )
    again = web.post(url, {"mode": "desk", "code": person.check_in_code}, HTTP_HX_REQUEST="true")
    assert "data-badge-url" not in again.content.decode()


def test_erased_registrants_have_no_badge(org_web, event):
    from registrants.erasure import registrant_erase

    kept, erased = make_registrant(event, name="Kept"), make_registrant(event, name="Gone")
    registrant_erase(registrant_id=erased.pk)
    assert org_web.get(reverse("badges:registrant", args=[erased.pk])).status_code == 409
    batch = org_web.get(reverse("badges:event_pdf", args=[event.pk]))
    assert _codes(batch.content) == [kept.check_in_code]
