"""CSRF is enforced on every form that posts (S9, docs/invariants.md)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from registrants.lifecycle import Status


def _csrf_client(user=None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize(
    "name,args,data",
    [
        ("dashboard:registrant_transition", "ada", {"to_status": "checked_in"}),
        (
            "dashboard:registrant_edit",
            "ada",
            {"name": "X", "email": "x@example.com", "guest_type": "attendee"},
        ),
        ("dashboard:registrant_delete", "ada", {}),
        (
            "dashboard:registrants_bulk",
            "event",
            {"action": "check_in", "ids": ["{ada}"], "confirm": "true"},
        ),
        ("dashboard:desk_scan", "event", {"mode": "desk", "code": "{code}"}),
        ("dashboard:logout", None, {}),
    ],
)
def test_post_without_token_is_refused_and_changes_nothing(organiser, crowd, name, args, data):
    ada = crowd["ada"]
    url_args = {"ada": [ada.pk], "event": [ada.event_id], None: []}[args]
    values = {"ada": ada.pk, "code": ada.check_in_code}
    data = {
        k: [x.format(**values) for x in v] if isinstance(v, list) else v.format(**values)
        for k, v in data.items()
    }
    client = _csrf_client(organiser)
    response = client.post(reverse(name, args=url_args), data)
    assert response.status_code == 403
    assert b"This form has expired" in response.content
    ada.refresh_from_db()
    assert ada.status == Status.REGISTERED and ada.name == "Ada Lovelace"


def test_login_form_needs_its_token(organiser):
    response = _csrf_client().post("/login/", {"username": "olga", "password": "pw-for-tests-1"})
    assert response.status_code == 403


def test_post_with_the_token_from_the_page_goes_through(organiser, crowd):
    client = _csrf_client(organiser)
    ada = crowd["ada"]
    page = client.get(reverse("dashboard:registrant", args=[ada.pk]))
    token = page.context["csrf_token"]
    response = client.post(
        reverse("dashboard:registrant_transition", args=[ada.pk]),
        {"to_status": "checked_in", "csrfmiddlewaretoken": str(token)},
    )
    assert response.status_code == 302
    ada.refresh_from_db()
    assert ada.status == Status.CHECKED_IN


def test_htmx_posts_send_the_token_in_a_header(organiser, crowd):
    """The pages put the token in hx-headers on <body>; the header is enough."""
    client = _csrf_client(organiser)
    ada = crowd["ada"]
    page = client.get(reverse("dashboard:registrant", args=[ada.pk]))
    token = str(page.context["csrf_token"])
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\''.encode() in page.content
    response = client.post(
        reverse("dashboard:registrant_transition", args=[ada.pk]),
        {"to_status": "checked_in"},
        HTTP_X_CSRFTOKEN=token,
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
