"""Walk-ins at the desk and new registrants from the list."""

from __future__ import annotations

import pytest
from django.urls import reverse

from registrants import services
from registrants.lifecycle import Status
from registrants.models import Company, Registrant, Source
from registrants.tests.factories import EventFactory, make_registrant

WALK_IN = {
    "name": "Walter Inn",
    "email": "Walter@Example.COM",
    "company": " google inc. ",
    "guest_type": "press",
    "mode": "desk",
}


def _walk_in(client, event, htmx=True, **data):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(
        reverse("dashboard:desk_walk_in", args=[event.pk]), {**WALK_IN, **data}, **headers
    )


def test_staff_adds_a_walk_in_who_is_registered_and_checked_in_in_one_step(staff_web, event, staff):
    Company.objects.create(name="Google", normalized_name="google")
    response = _walk_in(staff_web, event)
    assert response.status_code == 201
    assert response["HX-Trigger"] == "walkin-added"
    result = response.context["result"]
    assert result["outcome"] == "success" and result["checked_in_now"]
    walter = Registrant.objects.get(name="Walter Inn")
    assert walter.status == Status.CHECKED_IN
    # The company is matched after normalisation; the email's domain lower-cased.
    assert walter.company.name == "Google" and walter.email == "Walter@example.com"
    history = list(walter.history.order_by("id").values_list("to_status", "source", "actor"))
    assert history == [
        (Status.REGISTERED, Source.DASHBOARD, staff.pk),
        (Status.CHECKED_IN, Source.DASHBOARD, staff.pk),
    ]
    html = response.content.decode()
    assert "Walk-in added" in html and "Walter Inn" in html
    # The desk prints the badge of whoever was checked in now.
    assert reverse("badges:registrant", args=[walter.pk]) in html


def test_walk_in_at_the_entry_door_is_checked_in_and_let_in(org_web, event):
    _walk_in(org_web, event, mode="entry")
    walter = Registrant.objects.get(name="Walter Inn")
    assert walter.status == Status.ENTERED
    assert walter.history.count() == 3


def test_walk_in_at_the_exit_door_is_only_checked_in(org_web, event):
    _walk_in(org_web, event, mode="exit")
    assert Registrant.objects.get(name="Walter Inn").status == Status.CHECKED_IN


def test_walk_in_when_the_event_is_full_shows_the_form_with_event_full(staff_web):
    event = EventFactory(capacity=1)
    make_registrant(event, name="First")
    response = _walk_in(staff_web, event)
    assert response.status_code == 409
    # The refusal replaces the form, which stays open with what was typed.
    assert response["HX-Retarget"] == "#walkin-form"
    html = response.content.decode()
    assert "The event is full: 1 of 1 seats are taken." in html
    assert 'value="Walter Inn"' in html and "hidden" not in html.split(">")[0]
    assert not Registrant.objects.filter(name="Walter Inn").exists()
    assert not Company.objects.filter(normalized_name="google").exists()


def test_walk_in_for_a_closed_event_is_refused_with_its_reason(staff_web):
    event = EventFactory(closed=True)
    response = _walk_in(staff_web, event)
    assert response.status_code == 409
    assert "is closed: it takes no new registrations" in response.content.decode()
    assert not Registrant.objects.exists()


def test_walk_in_with_a_bad_email_is_a_400_naming_the_field(staff_web, event):
    response = _walk_in(staff_web, event, email="not an email")
    assert response.status_code == 400
    assert response.context["walkin_form"].errors["email"]
    assert not Registrant.objects.exists()


def test_walk_in_without_javascript_answers_with_the_desk_page(staff_web, event):
    response = _walk_in(staff_web, event, htmx=False)
    assert response.status_code == 201
    assert response.templates[0].name == "dashboard/desk.html"
    refused = _walk_in(staff_web, event, htmx=False, name="")
    assert refused.status_code == 400
    assert 'id="walkin-form"' in refused.content.decode()


def test_desk_shows_the_walk_in_form_to_those_who_may_add_walk_ins(web_for, event):
    seen = {}
    for role in ("organiser", "staff"):
        html = web_for[role].get(reverse("dashboard:desk", args=[event.pk])).content.decode()
        seen[role] = 'id="walkin-form"' in html and 'id="walkin-open"' in html
    assert seen == {"organiser": True, "staff": True}


@pytest.mark.parametrize(
    "role,expected", [("viewer", 403), ("nobody", 403), ("organiser", 201), ("staff", 201)]
)
def test_walk_in_is_refused_to_roles_without_add_walk_in(web_for, event, role, expected):
    assert _walk_in(web_for[role], event).status_code == expected
    assert Registrant.objects.exists() == (expected == 201)


def test_anonymous_walk_in_goes_to_the_login_page(anon_web, event):
    response = _walk_in(anon_web, event)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not Registrant.objects.exists()


def test_organiser_adds_a_registrant_from_the_list(org_web, event, organiser):
    url = reverse("dashboard:registrant_new", args=[event.pk])
    list_html = org_web.get(reverse("dashboard:registrants", args=[event.pk])).content.decode()
    assert url in list_html
    assert org_web.get(url).status_code == 200
    response = org_web.post(url, {k: v for k, v in WALK_IN.items() if k != "mode"})
    walter = Registrant.objects.get(name="Walter Inn")
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:registrant", args=[walter.pk])
    assert walter.status == Status.REGISTERED
    assert walter.history.get().actor == organiser


def test_adding_a_registrant_to_a_full_event_shows_the_refusal(org_web):
    event = EventFactory(capacity=1)
    make_registrant(event)
    response = org_web.post(
        reverse("dashboard:registrant_new", args=[event.pk]),
        {k: v for k, v in WALK_IN.items() if k != "mode"},
    )
    assert response.status_code == 409
    assert "The event is full" in response.content.decode()


@pytest.mark.parametrize("role", ["staff", "viewer", "nobody"])
def test_only_organisers_add_registrants_from_the_list(web_for, event, role):
    url = reverse("dashboard:registrant_new", args=[event.pk])
    assert web_for[role].get(url).status_code == 403
    data = {k: v for k, v in WALK_IN.items() if k != "mode"}
    assert web_for[role].post(url, data).status_code == 403
    assert not Registrant.objects.exists()
    anonymous = web_for["anonymous"].get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")


def test_editing_an_erased_registrant_is_refused_and_the_page_says_why(org_web, event):
    ada = make_registrant(event, name="Ada Lovelace")
    services.registrant_delete(registrant_id=ada.pk)
    response = org_web.post(
        reverse("dashboard:registrant_edit", args=[ada.pk]),
        {"name": "Ada King", "email": "ada@example.com", "company": "", "guest_type": "speaker"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "data-erased" in html and 'name="email"' not in html
    ada.refresh_from_db()
    assert ada.name != "Ada King"


def test_the_desks_walk_in_form_has_its_fields_on_a_fresh_page(staff_web, event):
    html = staff_web.get(reverse("dashboard:desk", args=[event.pk])).content.decode()
    for field in ("name", "email", "company", "guest_type"):
        assert f'id="walkin-{field}"' in html


def test_the_badge_pdf_may_be_framed_by_the_desk_and_nothing_else(staff_web, event):
    """The desk prints through a hidden same-origin frame; other pages stay unframeable."""
    ada = make_registrant(event)
    badge = staff_web.get(reverse("badges:registrant", args=[ada.pk]))
    assert badge.status_code == 200
    assert badge["X-Frame-Options"] == "SAMEORIGIN"
    directives = dict(d.strip().split(" ", 1) for d in badge["Content-Security-Policy"].split(";"))
    assert directives["frame-ancestors"] == "'self'"
    desk = staff_web.get(reverse("dashboard:desk", args=[event.pk]))
    assert desk["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in desk["Content-Security-Policy"]
