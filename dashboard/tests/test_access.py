"""Every page for every role: allowed, forbidden, or sent to log in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from .conftest import ROLES, json_access

# page -> the roles that may open it
PAGES = {
    "events": ({"organiser", "staff", "viewer"}, lambda c: reverse("dashboard:events")),
    "dashboard": (
        {"organiser", "staff", "viewer"},
        lambda c: reverse("dashboard:event_dashboard", args=[c["ada"].event_id]),
    ),
    "list": (
        {"organiser", "staff", "viewer"},
        lambda c: reverse("dashboard:registrants", args=[c["ada"].event_id]),
    ),
    "registrant": (
        {"organiser", "staff", "viewer"},
        lambda c: reverse("dashboard:registrant", args=[c["ada"].pk]),
    ),
    "desk": ({"organiser", "staff"}, lambda c: reverse("dashboard:desk", args=[c["ada"].event_id])),
    "desk_search": (
        {"organiser", "staff"},
        lambda c: reverse("dashboard:desk_search", args=[c["ada"].event_id]) + "?code=ada",
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", list(PAGES))
def test_each_page_is_open_to_its_roles_only(web_for, crowd, role, page):
    allowed, url_of = PAGES[page]
    url = url_of(crowd)
    response = web_for[role].get(url)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"] == f"/login/?next={url.replace('?', '%3F').replace('=', '%3D')}"
    elif role in allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert b"You may not do this" in response.content


@json_access("organiser", "staff", "viewer")
def test_numbers_json_answers_scripts_in_json(web_for, crowd, role, expected):
    response = web_for[role].get(reverse("dashboard:event_numbers", args=[crowd["ada"].event_id]))
    assert response.status_code == expected
    assert response["Content-Type"] == "application/json"


def test_login_page_remembers_next_and_logs_in(anon_web, organiser, event):
    target = reverse("dashboard:registrants", args=[event.pk])
    page = anon_web.get(f"/login/?next={target}")
    assert page.status_code == 200
    assert f'name="next" value="{target}"'.encode() in page.content
    response = anon_web.post(
        "/login/",
        {
            "username": "olga",
            "password": "pw-for-tests-1",
            "next": target,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == target


def test_wrong_password_is_refused_with_a_message(anon_web, organiser):
    response = anon_web.post("/login/", {"username": "olga", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_logout_is_a_post_and_ends_the_session(org_web):
    assert org_web.get("/logout/").status_code == 405
    response = org_web.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert org_web.get("/").status_code == 302


def test_logged_in_user_visiting_login_goes_on(org_web):
    response = org_web.get("/login/")
    assert response.status_code == 302
    assert response["Location"] == "/"


POSTS = {
    # name -> (url, data, {role: expected status})
    "forward transition": (
        lambda c: reverse("dashboard:registrant_transition", args=[c["ada"].pk]),
        {"to_status": "checked_in"},
        {"organiser": 302, "staff": 302, "viewer": 403, "nobody": 403},
    ),
    "cancel transition": (
        lambda c: reverse("dashboard:registrant_transition", args=[c["ada"].pk]),
        {"to_status": "cancelled"},
        {"organiser": 302, "staff": 403, "viewer": 403, "nobody": 403},
    ),
    "undo transition": (
        lambda c: reverse("dashboard:registrant_transition", args=[c["grace"].pk]),
        {"to_status": "registered"},
        {"organiser": 302, "staff": 403, "viewer": 403, "nobody": 403},
    ),
    "edit": (
        lambda c: reverse("dashboard:registrant_edit", args=[c["ada"].pk]),
        {"name": "Ada King", "email": "ada@example.com", "company": "", "guest_type": "speaker"},
        {"organiser": 302, "staff": 403, "viewer": 403, "nobody": 403},
    ),
    "delete": (
        lambda c: reverse("dashboard:registrant_delete", args=[c["ada"].pk]),
        {},
        {"organiser": 302, "staff": 403, "viewer": 403, "nobody": 403},
    ),
    "bulk check in": (
        lambda c: reverse("dashboard:registrants_bulk", args=[c["ada"].event_id]),
        {"action": "check_in", "ids": ["{ada}"], "confirm": "true"},
        {"organiser": 200, "staff": 200, "viewer": 403, "nobody": 403},
    ),
    "bulk cancel": (
        lambda c: reverse("dashboard:registrants_bulk", args=[c["ada"].event_id]),
        {"action": "cancel", "ids": ["{ada}"], "confirm": "true"},
        {"organiser": 200, "staff": 403, "viewer": 403, "nobody": 403},
    ),
    "desk scan": (
        lambda c: reverse("dashboard:desk_scan", args=[c["ada"].event_id]),
        {"mode": "desk", "code": "{ada_code}"},
        {"organiser": 200, "staff": 200, "viewer": 403, "nobody": 403},
    ),
}


def _fill(data, crowd):
    values = {"ada": str(crowd["ada"].pk), "ada_code": crowd["ada"].check_in_code}
    return {
        k: [v.format(**values) for v in val] if isinstance(val, list) else val.format(**values)
        for k, val in data.items()
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(POSTS))
def test_every_post_checks_the_role_on_the_server(web_for, crowd, role, action):
    """A forged button does not help: the server refuses what the role may not do."""
    url_of, data, expected = POSTS[action]
    ada = crowd["ada"]
    before = (ada.status, ada.history.count())
    response = web_for[role].post(url_of(crowd), _fill(data, crowd))
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")
    else:
        assert response.status_code == expected[role]
    if role in ("anonymous", "viewer", "nobody") or expected.get(role) == 403:
        ada.refresh_from_db()
        assert (ada.status, ada.history.count()) == before
