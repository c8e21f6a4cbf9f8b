"""The registrant list: filters from the URL, chips, sorting, paging, row actions."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from registrants.lifecycle import Status
from registrants.models import Source
from registrants.tests.factories import make_registrant


def _names(response) -> list[str]:
    return [row.registrant.name for row in response.context["listing"].rows]


def _url(event, query=""):
    return reverse("dashboard:registrants", args=[event.pk]) + query


def test_list_shows_only_this_events_registrants(org_web, crowd, event):
    names = _names(org_web.get(_url(event)))
    assert sorted(names) == [
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
        "Ken Thompson",
        "Linus Torvalds",
    ]


@pytest.mark.parametrize(
    "query,expected",
    [
        ("?status=checked_in&status=entered", ["Alan Turing", "Grace Hopper"]),
        ("?status=checked_in,entered", ["Alan Turing", "Grace Hopper"]),
        ("?search=bell", ["Ken Thompson"]),  # company
        ("?search=GRACE@", ["Grace Hopper"]),  # email, any case
        ("?search=tur", ["Alan Turing"]),  # name
        ("?guest_type=speaker", ["Ada Lovelace"]),
        ("?status=registered&status=exited&search=l", ["Ada Lovelace", "Linus Torvalds"]),
    ],
)
def test_filters_come_from_the_url(org_web, crowd, event, query, expected):
    assert sorted(_names(org_web.get(_url(event, query)))) == expected


def test_company_filter_and_its_options(org_web, crowd, event):
    company_id = crowd["grace"].company_id
    response = org_web.get(_url(event, f"?company={company_id}"))
    assert _names(response) == ["Grace Hopper"]
    options = [c.name for c in response.context["listing"].companies]
    assert options == ["Analytical Engines", "Bell Labs", "Bletchley", "Navy"]
    assert f'<option value="{company_id}" selected>Navy</option>' in response.content.decode()


def test_search_never_matches_check_in_codes(org_web, crowd, event):
    code = crowd["ada"].check_in_code
    assert _names(org_web.get(_url(event, f"?search={code[:12]}"))) == []


def test_chips_count_every_status_under_the_other_filters(org_web, crowd, event):
    response = org_web.get(_url(event, "?status=entered&search=o&count=1"))
    chips = {c["value"]: (c["count"], c["checked"]) for c in response.context["listing"].chips}
    # "o" matches Ada Lovelace, Grace Hopper, Alan Turing (Bletchley), Linus Torvalds, Ken Thompson
    assert chips == {
        "waitlisted": (0, False),
        "registered": (1, False),
        "checked_in": (1, False),
        "entered": (1, True),
        "exited": (1, False),
        "cancelled": (1, False),
    }
    html = response.content.decode()
    assert 'name="status" value="entered" checked' in html
    assert 'value="o"' in html  # the search box keeps its text


@pytest.mark.parametrize(
    "ordering,first",
    [
        ("name", "Ada Lovelace"),
        ("-name", "Linus Torvalds"),
        ("company", "Linus Torvalds"),  # no company sorts first ("")
        ("-company", "Grace Hopper"),  # Navy
        ("status", "Ken Thompson"),  # cancelled
    ],
)
def test_columns_sort_both_ways(org_web, crowd, event, ordering, first):
    response = org_web.get(_url(event, f"?ordering={ordering}"))
    assert _names(response)[0] == first


def test_sort_links_keep_the_filters_and_flip_direction(org_web, crowd, event):
    html = org_web.get(_url(event, "?status=entered&ordering=name")).content.decode()
    assert 'href="?status=entered&amp;ordering=-name"' in html
    assert 'aria-sort="ascending"' in html


def test_bad_filter_values_are_reported_not_a_500(org_web, crowd, event):
    response = org_web.get(_url(event, "?status=flying&ordering=shoe_size&company=abc&page=zz"))
    assert response.status_code == 200
    errors = " ".join(response.context["listing"].errors)
    assert "status" in errors and "company" in errors and "shoe_size" in errors
    assert len(_names(response)) == 5


def test_paging_fifty_per_page_with_links_that_keep_filters(org_web, event):
    for i in range(55):
        make_registrant(event, name=f"Person {i:02d}")
    first = org_web.get(_url(event, "?search=person"))
    assert len(_names(first)) == 50
    listing = first.context["listing"]
    assert listing.previous_cursor == ""
    html = first.content.decode()
    assert f'href="?search=person&amp;cursor={listing.next_cursor}"' in html
    second = org_web.get(_url(event, f"?search=person&cursor={listing.next_cursor}"))
    # A search lists its matches newest first (registrants/keyset.py).
    assert _names(second) == [f"Person {i:02d}" for i in range(4, -1, -1)]
    assert second.context["listing"].next_cursor == ""
    back = second.context["listing"].previous_cursor
    assert _names(org_web.get(_url(event, f"?search=person&cursor={back}"))) == _names(first)


def test_a_search_is_newest_first_unless_sorted_by_a_column(org_web, event):
    for name in ("Bea Zed", "Ann Zed", "Cid Quay"):
        make_registrant(event, name=name)
    assert _names(org_web.get(_url(event))) == ["Ann Zed", "Bea Zed", "Cid Quay"]
    assert _names(org_web.get(_url(event, "?search=zed"))) == ["Ann Zed", "Bea Zed"]
    by_name = org_web.get(_url(event, "?search=zed&ordering=-name"))
    assert _names(by_name) == ["Bea Zed", "Ann Zed"]
    assert by_name.context["listing"].ordering_param == "-name"


def test_the_list_is_counted_only_on_request(org_web, crowd, event):
    plain = org_web.get(_url(event, "?search=o"))
    assert plain.context["listing"].total is None
    assert [c["count"] for c in plain.context["listing"].chips] == [None] * len(Status)
    assert 'href="?search=o&amp;count=1"' in plain.content.decode()
    # Only the status narrows the list: the event's own numbers, always shown.
    by_status = org_web.get(_url(event, "?status=entered,exited")).context["listing"]
    chip_counts = {c["value"]: c["count"] for c in by_status.chips}
    assert by_status.total == 2 and chip_counts["registered"] == 1
    counted = org_web.get(_url(event, "?search=o&status=entered,exited&count=1"))
    assert counted.context["listing"].total == 2
    assert "2 registrants match" in counted.content.decode()


def test_a_forged_page_link_is_reported_and_the_first_page_shown(org_web, crowd, event):
    response = org_web.get(_url(event, "?cursor=not-a-cursor"))
    assert response.status_code == 200
    assert "not valid" in " ".join(response.context["listing"].errors)
    assert len(_names(response)) == 5


def test_htmx_request_gets_the_results_fragment_with_chip_counts(org_web, crowd, event):
    response = org_web.get(_url(event, "?status=entered&count=1"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="count-entered" hx-swap-oob="true">1<' in html
    assert 'id="ordering" name="ordering" value="" hx-swap-oob="true"' in html
    sorted_desc = org_web.get(_url(event, "?ordering=-name"), HTTP_HX_REQUEST="true")
    assert 'name="ordering" value="-name" hx-swap-oob="true"' in sorted_desc.content.decode()
    assert response["Vary"] == "HX-Request, Cookie" or "HX-Request" in response["Vary"]


def test_history_restore_gets_the_whole_page(org_web, crowd, event):
    response = org_web.get(
        _url(event, "?status=entered"),
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )
    assert b"<html" in response.content


def test_organiser_sees_every_allowed_move_per_row(org_web, crowd, event):
    rows = {
        r.registrant.name: [a for a, _ in r.actions]
        for r in org_web.get(_url(event)).context["listing"].rows
    }
    assert rows == {
        "Ada Lovelace": ["checked_in", "cancelled"],
        "Grace Hopper": ["registered", "entered", "cancelled"],
        "Alan Turing": ["exited"],
        "Linus Torvalds": ["entered"],
        "Ken Thompson": ["registered"],
    }


def test_staff_sees_forward_moves_only_and_no_cancel_bulk(staff_web, crowd, event):
    response = staff_web.get(_url(event))
    rows = {r.registrant.name: [a for a, _ in r.actions] for r in response.context["listing"].rows}
    assert rows["Grace Hopper"] == ["entered"]
    assert rows["Ken Thompson"] == []
    html = response.content.decode()
    assert "Check in selected" in html
    assert "Cancel selected" not in html
    assert "Cancel registration" not in html and "Undo check-in" not in html


def test_viewer_sees_no_buttons_or_checkboxes(viewer_web, crowd, event):
    html = viewer_web.get(_url(event)).content.decode()
    assert "Ada Lovelace" in html
    assert "<button" in html  # only the filter's Apply and the Log out button
    assert html.count("<button") == 2
    assert 'type="checkbox" class="row-select"' not in html
    assert 'id="bulk"' not in html
    assert "Actions</th>" not in html


def test_row_action_answers_with_the_updated_row(org_web, crowd, organiser):
    ada = crowd["ada"]
    response = org_web.post(
        reverse("dashboard:registrant_transition", args=[ada.pk]),
        {"to_status": "checked_in", "context": "row", "next": "/events/1/registrants/"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith(f'<tr id="row-{ada.pk}"')
    assert "Ada Lovelace: checked in." in html
    assert "Undo check-in" in html  # the new allowed moves
    change = ada.history.order_by("-id").first()
    assert (change.to_status, change.source, change.actor) == (
        "checked_in",
        Source.DASHBOARD,
        organiser,
    )


def test_refused_row_action_shows_the_reason_in_the_row(org_web, crowd):
    """A stale page offering a move that is no longer allowed."""
    alan = crowd["alan"]  # entered; cannot go back to registered
    response = org_web.post(
        reverse("dashboard:registrant_transition", args=[alan.pk]),
        {"to_status": "registered", "context": "row"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert (
        "Cannot move from entered to registered; allowed from entered: "
        "checked_in, exited, cancelled." in html
    )
    assert 'class="row--error"' in html
    alan.refresh_from_db()
    assert alan.status == Status.ENTERED


def test_staff_forging_a_cancel_from_the_row_gets_403_with_the_reason(staff_web, crowd):
    ada = crowd["ada"]
    response = staff_web.post(
        reverse("dashboard:registrant_transition", args=[ada.pk]),
        {"to_status": "cancelled", "context": "row"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 403
    assert b"Your role may not cancel a registrant" in response.content
    ada.refresh_from_db()
    assert ada.status == Status.REGISTERED


def test_same_email_twice_is_flagged(org_web, event):
    make_registrant(event, name="One", email="twin@example.com")
    make_registrant(event, name="Two", email="twin@example.com")
    make_registrant(event, name="Three", email="solo@example.com")
    rows = {
        r.registrant.name: r.duplicate for r in org_web.get(_url(event)).context["listing"].rows
    }
    assert rows == {"One": True, "Two": True, "Three": False}


@pytest.mark.parametrize("value", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+05:00"])
def test_dates_that_overflow_in_utc_are_reported_not_a_500(org_web, crowd, event, value):
    for name in ("created_after", "created_before"):
        response = org_web.get(_url(event, f"?{name}={value.replace('+', '%2B')}"))
        assert response.status_code == 200
        errors = " ".join(response.context["listing"].errors)
        assert name in errors and "Out of range" in errors
        assert len(_names(response)) == 5
        counts = org_web.get(
            reverse("dashboard:registrant_counts", args=[event.pk]),
            {name: value},
        )
        assert counts.status_code == 200
        assert sum(counts.json()["counts"].values()) == 5


@pytest.mark.parametrize("ordering", ["--name", "-", "name,email", "--"])
def test_malformed_orderings_are_reported_and_sorted_by_name(org_web, crowd, event, ordering):
    response = org_web.get(_url(event, f"?ordering={ordering}"))
    assert response.status_code == 200
    listing = response.context["listing"]
    assert listing.ordering == "name" and listing.ordering_param == ""
    assert any("Cannot sort" in e for e in listing.errors)


def test_following_next_links_meets_every_row_once_while_rows_are_added(
    org_web, event, monkeypatch
):
    monkeypatch.setattr("dashboard.listing.PAGE_SIZE", 4)
    before = {make_registrant(event, name=f"Person {i % 3}").pk for i in range(13)}
    url, seen, added = _url(event, "?search=person"), [], 0
    while url:
        response = org_web.get(url)
        seen += [row.registrant.pk for row in response.context["listing"].rows]
        # Ties of rows already shown: an offset would show one row twice.
        for _ in range(2):
            make_registrant(event, name=f"Person {added % 2}")
            added += 1
        link = re.search(r'rel="next" href="([^"]+)"', response.content.decode())
        url = _url(event, unescape(link.group(1))) if link else ""
    assert len(seen) == len(set(seen)) and before <= set(seen)


def test_many_companies_leave_only_the_chosen_one_in_the_menu(org_web, crowd, event, monkeypatch):
    monkeypatch.setattr("dashboard.listing.MAX_COMPANY_OPTIONS", 2)
    assert org_web.get(_url(event)).context["listing"].companies == []
    navy = crowd["grace"].company
    chosen = org_web.get(_url(event, f"?company={navy.pk}")).context["listing"]
    assert chosen.companies == [navy] and _names_of(chosen) == ["Grace Hopper"]


def _names_of(listing) -> list[str]:
    return [row.registrant.name for row in listing.rows]
