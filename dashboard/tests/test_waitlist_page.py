"""The waitlist page (the line, offers, promotion by hand), the registrant
page's waitlist panel, and the waitlisted tile and filter."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registrants import services
from registrants.models import WaitlistOffer
from registrants.tests.factories import EventFactory, make_registrant

pytestmark = pytest.mark.django_db


@pytest.fixture
def line():
    event = EventFactory(capacity=2)
    seated = [make_registrant(event, name=f"Seated {n}") for n in range(2)]
    waiting = [
        services.registrant_register(
            event_id=event.pk, name=f"Waiter {n}", email=f"w{n}@example.com", join_waitlist=True
        )
        for n in range(3)
    ]
    return event, seated, waiting


def _page(client, event):
    return client.get(reverse("dashboard:waitlist", args=[event.pk]))


def test_the_line_in_order_with_offers(org_web, line):
    event, seated, waiting = line
    services.registrant_change_status(registrant_id=seated[0].pk, to_status="cancelled")
    html = _page(org_web, event).content.decode()
    order = [html.index(f'data-registrant="{w.pk}"') for w in waiting]
    assert order == sorted(order)
    assert f'data-registrant="{waiting[0].pk}" data-offer="open"' in html
    assert f'data-registrant="{waiting[1].pk}" data-offer="none"' in html
    assert html.count(">Promote</button>") == 3


def test_viewers_see_the_line_without_promote_buttons(viewer_web, line):
    event, _, _ = line
    response = _page(viewer_web, event)
    assert response.status_code == 200
    assert "Waiter 0" in response.content.decode() and b">Promote</button>" not in response.content


def test_promote_by_hand_without_a_seat_shows_event_full(org_web, line):
    event, _, waiting = line
    response = org_web.post(
        reverse("dashboard:registrant_transition", args=[waiting[1].pk]),
        {"to_status": "registered", "next": reverse("dashboard:waitlist", args=[event.pk])},
    )
    assert response.status_code == 409
    assert b"The event is full" in response.content


def test_promote_by_hand_with_a_free_seat_goes_back_to_the_line(org_web, line):
    event, _, waiting = line
    services.event_update(event_id=event.pk, capacity=3)  # offered to waiting[0]
    url = reverse("dashboard:waitlist", args=[event.pk])
    response = org_web.post(
        reverse("dashboard:registrant_transition", args=[waiting[0].pk]),
        {"to_status": "registered", "next": url},
    )
    assert response.status_code == 302 and response["Location"] == url
    waiting[0].refresh_from_db()
    assert waiting[0].status == "registered"
    assert WaitlistOffer.objects.get(registrant=waiting[0]).state == "withdrawn"


def test_registrant_page_shows_position_and_offers(org_web, line):
    event, seated, waiting = line
    services.registrant_change_status(registrant_id=seated[0].pk, to_status="cancelled")
    html = org_web.get(reverse("dashboard:registrant", args=[waiting[1].pk])).content.decode()
    assert "Position 2 in the" in html
    html = org_web.get(reverse("dashboard:registrant", args=[waiting[0].pk])).content.decode()
    assert 'data-offer-state="open"' in html
    assert "Promote from the waitlist" in html


def test_the_dashboard_has_a_waitlisted_tile(org_web, line):
    event, _, _ = line
    html = org_web.get(reverse("dashboard:event_dashboard", args=[event.pk])).content.decode()
    assert 'data-tile="waitlisted"' in html


def test_the_list_filters_on_waitlisted(org_web, line):
    event, seated, waiting = line
    url = reverse("dashboard:registrants", args=[event.pk])
    html = org_web.get(url, {"status": "waitlisted"}).content.decode()
    assert all(w.name in html for w in waiting)
    assert not any(s.name in html for s in seated)


def test_the_event_form_sets_the_offer_hours(org_web, line):
    event, _, _ = line
    url = reverse("dashboard:event_edit", args=[event.pk])
    form = org_web.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["date"] = event.date.isoformat()
    response = org_web.post(url, {**data, "waitlist_offer_hours": 6})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.waitlist_offer_hours == 6


def test_the_page_of_someone_never_waitlisted_does_not_ask_for_offers(org_web, line):
    event, seated, waiting = line
    with CaptureQueriesContext(connection) as queries:
        response = org_web.get(reverse("dashboard:registrant", args=[seated[1].pk]))
    assert response.status_code == 200
    offers = WaitlistOffer._meta.db_table
    assert not [q for q in queries.captured_queries if offers in q["sql"]]


def test_an_accepted_offer_stays_on_the_page_after_the_promotion(org_web, line):
    event, seated, waiting = line
    services.registrant_change_status(registrant_id=seated[0].pk, to_status="cancelled")
    services.offer_accept(registrant_id=waiting[0].pk)
    html = org_web.get(reverse("dashboard:registrant", args=[waiting[0].pk])).content.decode()
    assert 'data-offer-state="accepted"' in html
