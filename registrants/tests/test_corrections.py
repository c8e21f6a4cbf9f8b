"""Corrections: an organiser fixes a mistaken scan (let in by mistake,
cancelled while inside) with a note; it is its own kind of history row,
staff may not make it, bulk changes never make it, and the numbers follow."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import client_for
from dashboard.tests.conftest import logged_in
from registrants import selectors, services
from registrants.lifecycle import Status
from registrants.models import StatusChange
from registrants.tests.factories import EventFactory, make_registrant
from registrants.tests.invariants import assert_invariants

pytestmark = pytest.mark.django_db


def _transition(client, registrant, to_status, note=None):
    body = {"to_status": to_status} | ({"note": note} if note is not None else {})
    return client.post(f"/api/v1/registrants/{registrant.pk}/transitions/", body, format="json")


@pytest.mark.parametrize("current", [Status.ENTERED, Status.EXITED])
def test_organiser_corrects_a_mistaken_entry_back_to_checked_in_with_a_note(organiser, current):
    event = EventFactory(capacity=10)
    person = make_registrant(event, status=current)
    before = selectors.event_stats(event=event)
    response = _transition(client_for(organiser), person, "checked_in", "scanned at the wrong door")
    assert response.status_code == 200, response.content
    assert response.json()["changed"] is True
    change = StatusChange.objects.filter(registrant=person).latest()
    assert (change.from_status, change.to_status) == (current, Status.CHECKED_IN)
    assert change.note == "scanned at the wrong door"
    history = client_for(organiser).get(f"/api/v1/registrants/{person.pk}/history/").json()
    assert history[-1]["kind"] == "correction"
    assert history[0]["kind"] is None  # the creation row
    after = selectors.event_stats(event=event)
    assert after["by_status"][current] == before["by_status"][current] - 1
    assert after["by_status"]["checked_in"] == before["by_status"]["checked_in"] + 1
    assert_invariants([event.pk])


@pytest.mark.parametrize("note", [None, "", "   "])
def test_a_correction_without_a_note_is_refused_and_writes_nothing(organiser, note):
    person = make_registrant(EventFactory(), status=Status.ENTERED)
    rows = StatusChange.objects.count()
    response = _transition(client_for(organiser), person, "checked_in", note)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "note" in error["fields"]
    person.refresh_from_db()
    assert person.status == Status.ENTERED
    assert StatusChange.objects.count() == rows


@pytest.mark.parametrize("target", ["checked_in", "cancelled"])
def test_check_in_staff_may_not_correct_even_with_a_note(staff, target):
    person = make_registrant(EventFactory(), status=Status.ENTERED)
    response = _transition(client_for(staff), person, target, "I think so")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    person.refresh_from_db()
    assert person.status == Status.ENTERED


def test_cancelling_someone_inside_frees_their_seat(organiser):
    event = EventFactory(capacity=2)
    inside = make_registrant(event, status=Status.ENTERED)
    make_registrant(event)
    assert services.seats_taken(event_id=event.pk) == 2
    response = _transition(client_for(organiser), inside, "cancelled", "refunded at the door")
    assert response.status_code == 200
    assert services.seats_taken(event_id=event.pk) == 1
    late = services.registrant_register(event_id=event.pk, name="Late Comer", email="l@example.com")
    assert late.status == Status.REGISTERED
    assert_invariants([event.pk])


def test_scans_never_correct(organiser):
    """A desk scan of someone inside is still a repeat, not a correction."""
    person = make_registrant(EventFactory(), status=Status.ENTERED)
    result = services.registrant_scan(
        code=person.check_in_code, mode="desk", actor=organiser, event_id=person.event_id
    )
    assert result.changed is False
    person.refresh_from_db()
    assert person.status == Status.ENTERED


def test_bulk_changes_never_correct_even_with_a_note(organiser):
    event = EventFactory()
    inside, waiting = make_registrant(event, status=Status.ENTERED), make_registrant(event)
    results = services.registrants_bulk_change_status(
        registrant_ids=[inside.pk, waiting.pk],
        to_status=Status.CANCELLED,
        actor=organiser,
        note="event moved",
    )
    by_id = {r.registrant_id: r for r in results}
    assert by_id[inside.pk].error_code == "invalid_transition"
    assert "one registrant at a time" in by_id[inside.pk].message
    assert by_id[waiting.pk].changed is True
    inside.refresh_from_db()
    assert inside.status == Status.ENTERED


def test_the_registrant_page_offers_corrections_to_organisers_and_shows_them_as_such(
    organiser, staff
):
    person = make_registrant(EventFactory(), name="Alan Turing", status=Status.ENTERED)
    page = reverse("dashboard:registrant", args=[person.pk])
    assert "Correct to checked in" in logged_in(organiser).get(page).content.decode()
    assert "Correct to checked in" not in logged_in(staff).get(page).content.decode()

    web = logged_in(organiser)
    refused = web.post(
        reverse("dashboard:registrant_transition", args=[person.pk]),
        {"to_status": "checked_in", "note": ""},
        HTTP_HX_REQUEST="true",
    )
    assert refused.status_code == 400
    assert "needs a note" in refused.content.decode()
    done = web.post(
        reverse("dashboard:registrant_transition", args=[person.pk]),
        {"to_status": "checked_in", "note": "let in by mistake"},
        HTTP_HX_REQUEST="true",
    )
    assert done.status_code == 200
    html = web.get(page).content.decode()
    assert "tag--correction" in html and "let in by mistake" in html
