"""The check-in desk: codes, names, modes, and what the screen shows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from registrants.lifecycle import Status
from registrants.models import Source
from registrants.tests.factories import make_registrant


def _scan(client, event, htmx=True, **data):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(
        reverse("dashboard:desk_scan", args=[event.pk]), {"mode": "desk", **data}, **headers
    )


def test_desk_page_has_one_focused_input_and_the_modes(staff_web, event):
    html = staff_web.get(reverse("dashboard:desk", args=[event.pk])).content.decode()
    assert html.count('id="desk-input"') == 1 and "autofocus" in html
    for mode in ("desk", "entry", "exit"):
        assert f'name="mode" value="{mode}"' in html
    entry = staff_web.get(reverse("dashboard:desk", args=[event.pk]) + "?mode=entry")
    assert 'value="entry" checked' in entry.content.decode()


def test_scanning_a_code_checks_in_with_source_scan(staff_web, crowd, event, staff):
    ada = crowd["ada"]
    response = _scan(staff_web, event, code=ada.check_in_code)
    assert response.status_code == 200
    assert response.context["result"]["outcome"] == "success"
    html = response.content.decode()
    assert "scan-result--success" in html
    assert "Ada Lovelace" in html and "Analytical Engines" in html and "Speaker" in html
    ada.refresh_from_db()
    assert ada.status == Status.CHECKED_IN
    change = ada.history.order_by("-id").first()
    assert (change.source, change.actor) == (Source.SCAN, staff)


def test_second_scan_says_already_done_by_whom_and_writes_nothing(staff_web, crowd, event):
    ada = crowd["ada"]
    _scan(staff_web, event, code=ada.check_in_code)
    response = _scan(staff_web, event, code=ada.check_in_code)
    result = response.context["result"]
    assert result["outcome"] == "already"
    assert result["headline"] == "Already checked in"
    assert result["detail"].startswith("Checked in by sam at ")
    assert ada.history.count() == 2


def test_unknown_code_is_shown_as_unknown(staff_web, crowd, event):
    response = _scan(staff_web, event, code="no-such-code")
    assert response.status_code == 404
    assert response.context["result"]["outcome"] == "unknown"
    assert b"Unknown code" in response.content


def test_cancelled_registrant_is_refused_with_their_name(staff_web, crowd, event):
    response = _scan(staff_web, event, code=crowd["ken"].check_in_code)
    assert response.status_code == 409
    result = response.context["result"]
    assert result["outcome"] == "refused"
    assert result["registrant"]["name"] == "Ken Thompson"
    assert "registration is cancelled" in result["detail"]


def test_exit_scan_of_someone_never_let_in_is_refused(staff_web, crowd, event):
    response = _scan(staff_web, event, code=crowd["ada"].check_in_code, mode="exit")
    assert response.status_code == 409
    assert response.context["result"]["outcome"] == "refused"
    assert "Cannot move from registered to exited" in response.context["result"]["detail"]


def test_entry_scan_of_a_registered_person_checks_in_and_lets_in(staff_web, crowd, event):
    ada = crowd["ada"]
    response = _scan(staff_web, event, code=ada.check_in_code, mode="entry")
    assert response.context["result"]["detail"] == "Now checked in and entered."
    ada.refresh_from_db()
    assert ada.status == Status.ENTERED


def test_badge_of_another_event_is_refused_here(staff_web, crowd, event):
    other = crowd["other"]
    response = _scan(staff_web, event, code=other.check_in_code)
    assert response.status_code == 409
    assert response.context["result"]["headline"] == "Other event"
    other.refresh_from_db()
    assert other.status == Status.REGISTERED


def test_picking_a_name_checks_in_with_source_dashboard(staff_web, crowd, event, staff):
    ada = crowd["ada"]
    response = _scan(staff_web, event, registrant=str(ada.pk))
    assert response.context["result"]["outcome"] == "success"
    change = ada.history.order_by("-id").first()
    assert (change.to_status, change.source, change.actor) == (
        "checked_in",
        Source.DASHBOARD,
        staff,
    )


def test_picking_someone_of_another_event_is_not_found(staff_web, crowd, event):
    response = _scan(staff_web, event, registrant=str(crowd["other"].pk))
    assert response.status_code == 404


def test_empty_input_is_a_400_with_a_message(staff_web, event):
    response = _scan(staff_web, event, code="   ")
    assert response.status_code == 400
    assert b"Scan a code or type a name first." in response.content


def test_bad_mode_is_refused(staff_web, crowd, event):
    response = _scan(staff_web, event, code=crowd["ada"].check_in_code, mode="teleport")
    assert response.status_code == 400
    crowd["ada"].refresh_from_db()
    assert crowd["ada"].status == Status.REGISTERED


@pytest.mark.parametrize(
    "query,names",
    [
        ("ada", ["Ada Lovelace"]),
        ("BELL", ["Ken Thompson"]),
        ("o", []),  # too short to search
        ("otto", []),  # another event
    ],
)
def test_name_search_lists_matches_of_this_event(staff_web, crowd, event, query, names):
    response = staff_web.get(reverse("dashboard:desk_search", args=[event.pk]), {"code": query})
    assert [r.name for r in response.context["matches"]] == names


def test_name_search_shows_each_matchs_company_or_none(staff_web, event):
    make_registrant(event, name="Grace Hopper", company="Navy")
    make_registrant(event, name="Grace Kelly", company=None)
    response = staff_web.get(reverse("dashboard:desk_search", args=[event.pk]), {"code": "grace"})
    html = response.content.decode()
    hopper, kelly = html.split('class="match__name">')[1:]
    assert hopper.startswith("Grace Hopper") and "Navy" in hopper
    assert kelly.startswith("Grace Kelly") and "No company" in kelly


def test_name_search_never_matches_codes(staff_web, crowd, event):
    code = crowd["ada"].check_in_code
    response = staff_web.get(reverse("dashboard:desk_search", args=[event.pk]), {"code": code})
    assert response.context["matches"] == []
    assert b"No one matches" in response.content


def test_the_last_ten_scans_are_listed_newest_first(staff_web, event):
    people = [make_registrant(event, name=f"Guest {i:02d}") for i in range(12)]
    for person in people:
        response = _scan(staff_web, event, code=person.check_in_code)
    recent = response.context["recent"]
    assert len(recent) == 10
    assert [r["registrant"]["name"] for r in recent] == [f"Guest {i:02d}" for i in range(11, 1, -1)]
    html = response.content.decode()
    assert 'id="recent-scans" hx-swap-oob="true"' in html
    page = staff_web.get(reverse("dashboard:desk", args=[event.pk]))
    assert "Guest 11" in page.content.decode()


def test_without_javascript_a_scan_answers_with_the_whole_desk(staff_web, crowd, event):
    response = _scan(staff_web, event, htmx=False, code=crowd["ada"].check_in_code)
    assert response.status_code == 200
    assert b"<html" in response.content and b"scan-result--success" in response.content


def test_desk_scans_share_the_users_scan_throttle_with_the_api(
    staff_web, staff_client, crowd, event, settings
):
    """The desk is a scanner too: a user over the scan rate is refused there
    with 429 and a wait, and scans through the API count against the same
    budget, so switching paths does not double it."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"scan": "3/h"}}
    ada = crowd["ada"]
    bob = make_registrant(event, name="Bob Noyce", email="bob@example.com")
    api = staff_client.post(
        "/api/v1/scan/",
        {"code": ada.check_in_code, "mode": "desk", "event": event.pk},
        format="json",
    )
    assert api.status_code == 200
    assert _scan(staff_web, event, code=ada.check_in_code).status_code == 200
    assert _scan(staff_web, event, code=ada.check_in_code).status_code == 200
    refused = _scan(staff_web, event, code=bob.check_in_code)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.context["result"]["outcome"] == "refused"
    assert "Too many scans" in refused.context["result"]["headline"]
    bob.refresh_from_db()
    assert bob.status == Status.REGISTERED


def test_a_repeat_at_the_desk_says_the_time_in_the_events_time_zone(staff, settings):
    """17:42 UTC in July is 13:42 in New York (EDT), not London's 18:42."""
    import datetime
    from unittest import mock

    from dashboard.tests.conftest import logged_in
    from registrants import services
    from registrants.tests.factories import EventFactory

    settings.TIME_ZONE = "Europe/London"
    event = EventFactory(time_zone="America/New_York")
    ada = make_registrant(event, name="Ada Lovelace")
    at = datetime.datetime(2026, 7, 1, 17, 42, tzinfo=datetime.UTC)
    with mock.patch("django.utils.timezone.now", return_value=at):
        services.registrant_change_status(
            registrant_id=ada.pk, to_status=Status.CHECKED_IN, actor=staff
        )
    response = _scan(logged_in(staff), event, code=ada.check_in_code)
    assert response.context["result"]["detail"] == "Checked in by sam at 13:42."
