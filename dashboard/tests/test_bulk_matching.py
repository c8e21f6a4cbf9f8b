"""Bulk actions over "all N matching": the filters stand for the ids, on
every page, with a confirmation naming N."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from registrants.lifecycle import Status
from registrants.models import StatusChange
from registrants.tests.factories import make_registrant


def _bulk(client, event, **data):
    return client.post(
        reverse("dashboard:registrants_bulk", args=[event.pk]), data, HTTP_HX_REQUEST="true"
    )


@pytest.fixture
def many(event):
    """Seven registered speakers across pages of two, and one attendee."""
    speakers = [make_registrant(event, name=f"Speaker {i}", guest_type="speaker") for i in range(7)]
    attendee = make_registrant(event, name="Attendee", guest_type="attendee")
    return speakers, attendee


def test_list_offers_every_match_not_only_the_page(org_web, event, many, monkeypatch):
    monkeypatch.setattr("dashboard.listing.PAGE_SIZE", 2)
    url = reverse("dashboard:registrants", args=[event.pk])
    response = org_web.get(url, {"guest_type": "speaker", "count": "1"})
    html = response.content.decode()
    assert "Select all 7 matching, not only this page" in html
    assert 'name="filters" value="?guest_type=speaker"' in html
    uncounted = org_web.get(url, {"guest_type": "speaker"}).content.decode()
    assert "Select all matching, not only this page" in uncounted


def test_confirmation_names_every_match_and_writes_nothing(org_web, event, many):
    before = StatusChange.objects.count()
    response = _bulk(
        org_web, event, action="check_in", all_matching="true", filters="?guest_type=speaker"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Check in all 7 registrants matching these filters?" in html
    assert "Yes, check in 7" in html
    assert 'name="expected" value="7"' in html
    assert StatusChange.objects.count() == before


def test_confirmed_all_matching_changes_every_page_and_nothing_else(org_web, event, many):
    speakers, attendee = many
    response = _bulk(
        org_web,
        event,
        action="check_in",
        all_matching="true",
        filters="?guest_type=speaker",
        expected="7",
        confirm="true",
    )
    assert response.status_code == 200
    assert "Check in: 7 changed, 0 unchanged, 0 refused" in response.content.decode()
    assert {s.status for s in type(attendee).objects.filter(pk__in=[s.pk for s in speakers])} == {
        Status.CHECKED_IN
    }
    attendee.refresh_from_db()
    assert attendee.status == Status.REGISTERED


def test_a_set_that_moved_since_the_confirmation_is_asked_again(org_web, event, many):
    make_registrant(event, name="Late speaker", guest_type="speaker")
    before = StatusChange.objects.count()
    response = _bulk(
        org_web,
        event,
        action="check_in",
        all_matching="true",
        filters="?guest_type=speaker",
        expected="7",
        confirm="true",
    )
    html = response.content.decode()
    assert "8 match now. Nothing was changed yet." in html
    assert "Yes, check in 8" in html
    assert StatusChange.objects.count() == before


def test_invalid_filters_change_nothing(org_web, event, many):
    before = StatusChange.objects.count()
    response = _bulk(
        org_web,
        event,
        action="check_in",
        all_matching="true",
        filters="?status=nonsense",
        expected="8",
        confirm="true",
    )
    assert response.status_code == 400
    assert "nothing was changed" in response.content.decode()
    assert StatusChange.objects.count() == before


def test_all_matching_stays_inside_the_event(org_web, event, crowd):
    other = crowd["other"]
    _bulk(
        org_web,
        event,
        action="check_in",
        all_matching="true",
        filters="",
        expected="5",
        confirm="true",
    )
    other.refresh_from_db()
    assert other.status == Status.REGISTERED
    crowd["ada"].refresh_from_db()
    assert crowd["ada"].status == Status.CHECKED_IN


def test_staff_cannot_cancel_all_matching(staff_web, event, many):
    response = _bulk(
        staff_web, event, action="cancel", all_matching="true", filters="", confirm="true"
    )
    assert response.status_code == 403


def test_export_links_carry_the_filters_for_organisers_only(org_web, staff_web, event, crowd):
    url = reverse("dashboard:registrants", args=[event.pk])
    params = {"status": "registered", "search": "ada", "cursor": "x", "count": "1"}
    html = org_web.get(url, params).content.decode()
    export = reverse("imports-api:export", args=[event.pk])
    assert f'href="{export}?status=registered&amp;search=ada&amp;format=csv"' in html
    assert f'href="{export}?status=registered&amp;search=ada&amp;format=xlsx"' in html
    assert export not in staff_web.get(url, params).content.decode()


def test_export_link_answers_the_filtered_rows(org_web, event, crowd):
    export = reverse("imports-api:export", args=[event.pk])
    body = org_web.get(export, {"status": "registered", "format": "csv"})
    text = b"".join(body.streaming_content).decode()
    assert "Ada Lovelace" in text
    assert "Grace Hopper" not in text


@pytest.mark.parametrize("path", ["request", "job"])
def test_all_matching_over_five_thousand_changes_each_once(org_web, organiser, settings, path):
    """H2 through the page: the whole filtered set, in one request or as a
    job (the same answer when it runs in this process), one history row
    per real change; the panel lists refusals, not 5,000 rows."""
    from registrants.tests.factories import EventFactory
    from registrants.tests.test_history import (
        BULK,
        BULK_ALREADY_IN,
        BULK_CANCELLED,
        _bulk_population,
    )

    if path == "request":
        settings.BULK_JOB_THRESHOLD = BULK
    else:
        settings.BULK_JOB_THRESHOLD, settings.IMPORT_RUNNER = 1000, "inline"
    event = EventFactory(capacity=BULK)
    _bulk_population(event)
    before = StatusChange.objects.count()
    response = _bulk(
        org_web,
        event,
        action="check_in",
        all_matching="true",
        filters="",
        expected=str(BULK),
        confirm="true",
    )
    to_change = BULK - BULK_ALREADY_IN - BULK_CANCELLED
    html = response.content.decode()
    assert f"Check in: {to_change} changed, {BULK_ALREADY_IN} unchanged, 150 refused" in html
    assert StatusChange.objects.count() - before == to_change
    listed = [row["result"] for row in response.context["results"]]
    assert len(listed) == 50
    assert not any(r.ok for r in listed)  # refusals first
    assert f"{BULK - 50} other rows not listed" in html


def test_company_filter_offers_only_the_events_companies(org_web, event, crowd):
    make_registrant(crowd["other"].event, name="Elsa", company="Elsewhere Corp")
    html = org_web.get(reverse("dashboard:registrants", args=[event.pk])).content.decode()
    options = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', html)
    assert sorted(options) == ["Analytical Engines", "Bell Labs", "Bletchley", "Navy"]


def test_viewers_get_no_bulk_or_export_controls(viewer_web, event, crowd):
    html = viewer_web.get(reverse("dashboard:registrants", args=[event.pk])).content.decode()
    assert "select-matching" not in html
    assert "data-export" not in html
