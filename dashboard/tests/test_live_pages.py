"""What the live pages embed and the small reads a pushed change triggers:
one list row, the chip counts, the desk's last scans (roles, 404, anonymous)."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.urls import reverse

from dashboard.presenters import dashboard_numbers, tiles_from_counts
from registrants import services
from registrants.lifecycle import Status
from registrants.models import Source
from registrants.tests.factories import make_registrant

from .conftest import json_access


def embedded(html: str, element_id: str):
    return json.loads(
        html.split(f'id="{element_id}" type="application/json">')[1].split("</script>")[0]
    )


def row_url(registrant, next_url: str | None = None) -> str:
    url = reverse("dashboard:registrant_row", args=[registrant.pk])
    return url + (f"?next={next_url}" if next_url else "")


@pytest.mark.parametrize("page", ["event_dashboard", "registrants", "desk"])
def test_live_pages_embed_the_stream_labels_and_time_zone_and_show_the_indicator(
    org_web, event, page
):
    html = org_web.get(reverse(f"dashboard:{page}", args=[event.pk])).content.decode()
    config = embedded(html, "live-config")
    assert config["url"] == f"/ws/events/{event.pk}/"
    assert config["time_zone"] == settings.TIME_ZONE
    assert config["statuses"][:2] == [["waitlisted", "Waitlisted"], ["registered", "Registered"]]
    assert config["sources"]["scan"] == "Scan"
    assert config["registrant_url"] == "/registrants/0/"
    assert config["down_seconds"] < config["live_seconds"]
    assert 'id="live-state"' in html and "data-live-label" in html
    assert "dashboard/js/live.js" in html


def test_the_list_and_desk_configs_name_their_reads(org_web, event):
    listing = embedded(
        org_web.get(reverse("dashboard:registrants", args=[event.pk])).content.decode(),
        "live-config",
    )
    assert listing["row_url"] == "/registrants/0/row/"
    assert listing["counts_url"] == reverse("dashboard:registrant_counts", args=[event.pk])
    desk = embedded(
        org_web.get(reverse("dashboard:desk", args=[event.pk])).content.decode(), "live-config"
    )
    assert desk["recent_url"] == reverse("dashboard:desk_recent", args=[event.pk])


def test_the_dashboard_tiles_come_from_the_counts_alone(event, crowd, organiser):
    services.registrant_change_status(
        registrant_id=crowd["ada"].pk,
        to_status="checked_in",
        actor=organiser,
        source=Source.DASHBOARD,
    )
    numbers = dashboard_numbers(event.pk)
    by_status = dict(
        zip([s.value for s in Status], numbers["charts"]["status"]["values"], strict=True)
    )
    assert tiles_from_counts(by_status, event.capacity) == numbers["tiles"]
    tiles = {
        t["key"]: t
        for t in tiles_from_counts(
            {
                "waitlisted": 4,
                "registered": 1,
                "checked_in": 0,
                "entered": 1,
                "exited": 0,
                "cancelled": 10,
            },
            10,
        )
    }
    assert tiles["registered"]["percent"] == 6.2  # 6.25 rounds half to even, as Python does
    assert tiles["attendees"]["value"] == 2 and tiles["seats_left"]["value"] == 8
    assert tiles["on_site"]["percent"] == 50.0


# --- One row ---------------------------------------------------------------------------


@json_access("organiser", "staff", "viewer")
def test_row_is_for_roles_that_read_the_list(web_for, crowd, role, expected):
    response = web_for[role].get(row_url(crowd["ada"]))
    assert response.status_code == expected
    if expected != 200:
        assert response["Content-Type"] == "application/json"  # never the login page
        error = response.json()["error"]
        assert set(error) == {"code", "message", "fields"}  # the API's one error shape
        assert error["code"] == {401: "not_authenticated", 403: "permission_denied"}[expected]


def test_row_has_the_buttons_of_the_role_and_the_status(org_web, viewer_web, crowd):
    grace = crowd["grace"]
    response = org_web.get(row_url(grace))
    html = response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert html.strip().startswith(f'<tr id="row-{grace.pk}" data-status="checked_in"')
    assert 'class="row-select"' in html
    assert "Undo check-in: Grace Hopper" in html and "Let in: Grace Hopper" in html
    viewer_html = viewer_web.get(row_url(grace)).content.decode()
    assert f'id="row-{grace.pk}"' in viewer_html
    assert "row-select" not in viewer_html and "<button" not in viewer_html


def test_row_keeps_the_list_url_it_was_asked_for_and_refuses_other_hosts(org_web, crowd):
    ada = crowd["ada"]
    listing = reverse("dashboard:registrants", args=[ada.event_id])
    html = org_web.get(row_url(ada, f"{listing}?status=registered")).content.decode()
    assert f'name="next" value="{listing}?status=registered"' in html
    evil = org_web.get(row_url(ada, "https://evil.example/")).content.decode()
    assert "evil.example" not in evil
    assert f'name="next" value="{listing}"' in evil


def test_row_of_an_unknown_registrant_is_404(org_web, crowd):
    assert org_web.get(reverse("dashboard:registrant_row", args=[999999])).status_code == 404


def test_row_flags_a_duplicate_email(org_web, event, crowd):
    twin = make_registrant(event, name="Ada Again", email="ada@example.com")
    assert "same email twice" in org_web.get(row_url(twin)).content.decode()
    assert "same email twice" not in org_web.get(row_url(crowd["grace"])).content.decode()


def test_row_is_get_only(org_web, crowd):
    assert org_web.post(row_url(crowd["ada"])).status_code == 405


# --- Chip counts -------------------------------------------------------------------------


@json_access("organiser", "staff", "viewer")
def test_counts_are_for_roles_that_read_the_list(web_for, crowd, role, expected):
    url = reverse("dashboard:registrant_counts", args=[crowd["ada"].event_id])
    assert web_for[role].get(url).status_code == expected


def test_counts_follow_every_filter_but_status(org_web, event, crowd):
    url = reverse("dashboard:registrant_counts", args=[event.pk])
    everyone = org_web.get(url).json()["counts"]
    assert everyone == {
        "waitlisted": 0,
        "registered": 1,
        "checked_in": 1,
        "entered": 1,
        "exited": 1,
        "cancelled": 1,
    }
    # The status filter does not narrow the chips (each says what it would add).
    assert org_web.get(url + "?status=entered&page=3").json()["counts"] == everyone
    bell = org_web.get(url + "?search=bell").json()["counts"]
    assert bell == {
        "waitlisted": 0,
        "registered": 0,
        "checked_in": 0,
        "entered": 0,
        "exited": 0,
        "cancelled": 1,
    }


def test_counts_of_an_unknown_event_are_404(org_web):
    assert org_web.get(reverse("dashboard:registrant_counts", args=[999999])).status_code == 404


# --- The desk's last scans ---------------------------------------------------------------


@json_access("organiser", "staff")
def test_desk_recent_is_for_desk_roles(web_for, crowd, role, expected):
    url = reverse("dashboard:desk_recent", args=[crowd["ada"].event_id])
    assert web_for[role].get(url).status_code == expected


def test_desk_recent_shows_each_scanned_registrant_as_they_are_now(staff_web, event, crowd, staff):
    ada = crowd["ada"]
    staff_web.post(
        reverse("dashboard:desk_scan", args=[event.pk]),
        {"mode": "desk", "code": ada.check_in_code},
        HTTP_HX_REQUEST="true",
    )
    url = reverse("dashboard:desk_recent", args=[event.pk])
    html = staff_web.get(url).content.decode()
    assert f'data-registrant-id="{ada.pk}"' in html
    assert '<span class="status status--checked_in">Checked in</span>' in html
    # Someone else lets her in: the desk's list says so on its next read.
    services.registrant_change_status(
        registrant_id=ada.pk, to_status="entered", actor=staff, source=Source.SCAN
    )
    html = staff_web.get(url).content.decode()
    assert '<span class="status status--entered">Entered</span>' in html
    # The desk page and the scan answer show the same badges.
    page = staff_web.get(reverse("dashboard:desk", args=[event.pk])).content.decode()
    assert '<span class="status status--entered">Entered</span>' in page


def test_desk_recent_of_an_unknown_event_is_404(staff_web):
    assert staff_web.get(reverse("dashboard:desk_recent", args=[999999])).status_code == 404
