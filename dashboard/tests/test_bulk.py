"""Bulk check-in and cancel: a confirmation first, then a result per row."""

from __future__ import annotations

from django.urls import reverse

from registrants.lifecycle import Status
from registrants.models import Source, StatusChange


def _bulk(client, event, **data):
    return client.post(
        reverse("dashboard:registrants_bulk", args=[event.pk]), data, HTTP_HX_REQUEST="true"
    )


def test_first_post_asks_for_confirmation_and_writes_nothing(org_web, crowd, event):
    before = StatusChange.objects.count()
    ids = [crowd["ada"].pk, crowd["grace"].pk]
    response = _bulk(org_web, event, action="check_in", ids=ids)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Check in 2 registrants?" in html
    assert "1 already checked in: they will not change." in html
    assert "Yes, check in 2" in html
    assert html.count('name="ids"') == 2
    assert StatusChange.objects.count() == before


def test_confirmed_bulk_check_in_reports_each_row(org_web, crowd, event, organiser):
    ids = [crowd["ada"].pk, crowd["grace"].pk, crowd["ken"].pk, crowd["alan"].pk]
    response = _bulk(org_web, event, action="check_in", ids=ids, confirm="true")
    assert response.status_code == 200
    assert response["HX-Trigger"] == "registrants-changed"
    outcomes = {
        row["registrant"].name: (row["result"].ok, row["result"].changed, row["result"].error_code)
        for row in response.context["results"]
    }
    assert outcomes == {
        "Ada Lovelace": (True, True, None),
        "Grace Hopper": (True, False, None),  # already checked in
        "Ken Thompson": (False, False, "invalid_transition"),  # cancelled
        "Alan Turing": (False, False, "invalid_transition"),  # entered
    }
    html = response.content.decode()
    assert "Check in: 1 changed, 1 unchanged, 2 refused" in html
    assert "Cannot move from cancelled to checked_in" in html
    ada = crowd["ada"]
    ada.refresh_from_db()
    assert ada.status == Status.CHECKED_IN
    change = ada.history.order_by("-id").first()
    assert (change.source, change.actor) == (Source.DASHBOARD, organiser)


def test_organiser_bulk_cancel(org_web, crowd, event):
    ids = [crowd["ada"].pk, crowd["grace"].pk]
    response = _bulk(org_web, event, action="cancel", ids=ids, confirm="true")
    assert "Cancel: 2 changed, 0 unchanged, 0 refused" in response.content.decode()
    for key in ("ada", "grace"):
        crowd[key].refresh_from_db()
        assert crowd[key].status == Status.CANCELLED


def test_staff_may_bulk_check_in_but_not_cancel(staff_web, crowd, event):
    ok = _bulk(staff_web, event, action="check_in", ids=[crowd["ada"].pk], confirm="true")
    assert ok.status_code == 200
    refused = _bulk(staff_web, event, action="cancel", ids=[crowd["grace"].pk], confirm="true")
    assert refused.status_code == 403
    crowd["grace"].refresh_from_db()
    assert crowd["grace"].status == Status.CHECKED_IN


def test_registrants_of_other_events_are_left_alone(org_web, crowd, event):
    other = crowd["other"]
    response = _bulk(
        org_web, event, action="check_in", ids=[other.pk, crowd["ada"].pk], confirm="true"
    )
    assert [row["registrant"].name for row in response.context["results"]] == ["Ada Lovelace"]
    other.refresh_from_db()
    assert other.status == Status.REGISTERED
    only_other = _bulk(org_web, event, action="check_in", ids=[other.pk], confirm="true")
    assert only_other.status_code == 400
    assert b"None of the selected registrants belong to this event." in only_other.content


def test_nothing_selected_or_bad_input_is_a_400_with_a_message(org_web, crowd, event):
    empty = _bulk(org_web, event, action="check_in")
    assert empty.status_code == 400
    assert b"Select at least one registrant first." in empty.content
    bad_action = _bulk(org_web, event, action="teleport", ids=[crowd["ada"].pk])
    assert bad_action.status_code == 400
    bad_ids = _bulk(org_web, event, action="check_in", ids=["x", "99999999999999999999999"])
    assert bad_ids.status_code == 400


def test_without_javascript_the_bulk_answer_is_a_whole_page(org_web, crowd, event):
    response = org_web.post(
        reverse("dashboard:registrants_bulk", args=[event.pk]),
        {"action": "check_in", "ids": [crowd["ada"].pk], "confirm": "true"},
    )
    assert response.status_code == 200
    assert b"<html" in response.content and b"Back to the registrant list" in response.content
