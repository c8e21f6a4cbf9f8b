"""The staff pages: organisers only; accounts, roles, events, passwords,
API and device tokens; and the per-event rule on the event pages."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.models import ApiToken, EventAssignment
from gateway.models import DeviceToken
from registrants.tests.factories import EventFactory, make_registrant

from .conftest import logged_in

User = get_user_model()


def _shown(response, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]+)<', response.content.decode())
    assert match, response.content.decode()[:2000]
    return match.group(1)


@pytest.mark.parametrize("who", ["staff", "viewer", "nobody"])
@pytest.mark.parametrize(
    "url",
    ["/staff/", "/staff/{uid}/", "/staff/events/{e}/devices/"],
    ids=["list", "member", "devices"],
)
def test_only_organisers_open_the_staff_pages(web_for, who, url, organiser):
    event = EventFactory()
    url = url.format(uid=organiser.pk, e=event.pk)
    client = web_for[who]
    assert client.get(url).status_code == 403
    assert client.post(url, {"action": "token"}).status_code == 403
    assert not ApiToken.objects.filter(user=organiser).exists()


def test_anonymous_is_sent_to_log_in(anon_web):
    assert anon_web.get("/staff/").status_code == 302


def test_organiser_creates_a_staff_account_for_one_event(org_web):
    mine, other = EventFactory(name="Mine"), EventFactory(name="Other")
    response = org_web.post(
        "/staff/",
        {
            "username": "dora",
            "first_name": "Dora",
            "email": "dora@example.com",
            "role": "checkin_staff",
            "events": [mine.pk],
        },
    )
    assert response.status_code == 200
    password = _shown(response, "new-password")
    dora = User.objects.get(username="dora")
    assert [g.name for g in dora.groups.all()] == ["checkin_staff"]
    assert list(dora.event_assignments.values_list("event_id", flat=True)) == [mine.pk]
    # The password works, for this event only.
    client = Client()
    assert client.login(username="dora", password=password)
    assert client.get(f"/events/{mine.pk}/desk/").status_code == 200
    refused = client.get(f"/events/{other.pk}/desk/")
    assert refused.status_code == 403
    assert "not assigned to this event" in refused.content.decode()
    events_page = client.get("/").content.decode()
    assert "Mine" in events_page and "Other" not in events_page


def test_a_taken_username_is_refused_with_a_message(org_web, staff):
    response = org_web.post("/staff/", {"username": staff.username.upper(), "role": "viewer"})
    assert response.status_code == 400
    assert "taken" in response.content.decode()
    assert User.objects.filter(username__iexact=staff.username).count() == 1


def test_an_invalid_role_is_refused_and_nothing_changes(org_web, staff):
    response = org_web.post(f"/staff/{staff.pk}/", {"action": "access", "role": "admin"})
    assert response.status_code == 400
    assert [g.name for g in staff.groups.all()] == ["checkin_staff"]


def test_organiser_changes_role_and_events(org_web, staff):
    event = EventFactory()
    url = f"/staff/{staff.pk}/"
    response = org_web.post(url, {"action": "access", "role": "viewer", "events": [event.pk]})
    assert response.status_code == 302
    staff.refresh_from_db()
    assert [g.name for g in staff.groups.all()] == ["viewer"]
    assert list(EventAssignment.objects.filter(user=staff).values_list("event_id", flat=True)) == [
        event.pk
    ]
    # An organiser is never limited: the events are dropped.
    org_web.post(url, {"action": "access", "role": "organiser", "events": [event.pk]})
    assert not EventAssignment.objects.filter(user=staff).exists()


def test_an_organiser_may_not_take_over_an_administrator(org_web):
    admin = User.objects.create_superuser("root", "root@example.com", "a-long-password-1")
    for action in ("password", "token", "deactivate"):
        assert org_web.post(f"/staff/{admin.pk}/", {"action": action}).status_code == 403
    admin.refresh_from_db()
    assert admin.is_active and admin.check_password("a-long-password-1")
    assert not ApiToken.objects.filter(user=admin).exists()


def test_reset_password_shows_a_new_one_once(org_web, staff):
    response = org_web.post(f"/staff/{staff.pk}/", {"action": "password"})
    assert response.status_code == 200
    password = _shown(response, "new-password")
    staff.refresh_from_db()
    assert staff.check_password(password)
    assert password not in org_web.get(f"/staff/{staff.pk}/").content.decode()


@pytest.mark.django_db(transaction=True)  # the cache's generation moves after commit
def test_deactivate_refuses_the_tokens_at_once_and_not_oneself(org_web, organiser, staff):
    from conftest import client_for

    api = client_for(staff)
    assert api.get("/api/v1/events/").status_code == 200
    org_web.post(f"/staff/{staff.pk}/", {"action": "deactivate"})
    assert api.get("/api/v1/events/").status_code == 401
    org_web.post(f"/staff/{staff.pk}/", {"action": "activate"})
    assert api.get("/api/v1/events/").status_code == 200
    org_web.post(f"/staff/{organiser.pk}/", {"action": "deactivate"})
    organiser.refresh_from_db()
    assert organiser.is_active


@pytest.mark.django_db(transaction=True)  # the cache's generation moves after commit
def test_token_created_on_the_page_works_and_revoked_is_refused_next_request(org_web, staff):
    response = org_web.post(f"/staff/{staff.pk}/", {"action": "token"})
    assert response.status_code == 200
    key = _shown(response, "new-key")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/events/").status_code == 200  # now cached
    token = ApiToken.objects.get(user=staff)
    org_web.post(f"/staff/{staff.pk}/", {"action": "revoke", "token": token.pk})
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert api.get("/api/v1/events/").status_code == 401


def test_device_tokens_are_created_and_revoked_per_event(org_web):
    event = EventFactory()
    response = org_web.post(f"/staff/events/{event.pk}/devices/", {"name": "Door A"})
    key = _shown(response, "new-key")
    device = DeviceToken.objects.get(event=event)
    assert key.startswith("rdd_") and device.name == "Door A"
    org_web.post(f"/staff/events/{event.pk}/devices/{device.pk}/revoke/")
    device.refresh_from_db()
    assert device.revoked_at is not None


def test_the_staff_list_shows_roles_and_events(org_web, staff, viewer):
    event = EventFactory(name="Gala night")
    EventAssignment.objects.create(user=viewer, event=event)
    page = org_web.get("/staff/").content.decode()
    assert staff.username in page and viewer.username in page and "Gala night" in page


@pytest.mark.parametrize(
    "url",
    [
        "/events/{e}/dashboard/",
        "/events/{e}/dashboard/numbers.json",
        "/events/{e}/registrants/",
        "/events/{e}/registrants/counts.json",
        "/registrants/{r}/",
        "/registrants/{r}/row/",
        "/registrants/{r}/badge.pdf",
        "/events/{e}/desk/",
        "/events/{e}/desk/recent/",
        "/events/{e}/badges/",
    ],
)
def test_staff_of_another_event_is_refused_on_every_event_page(staff, url):
    event, mine = EventFactory(), EventFactory()
    registrant = make_registrant(event)
    EventAssignment.objects.create(user=staff, event=mine)
    client = logged_in(staff)
    assert client.get(url.format(e=event.pk, r=registrant.pk)).status_code == 403
    EventAssignment.objects.create(user=staff, event=event)
    assert client.get(url.format(e=event.pk, r=registrant.pk)).status_code == 200


def test_staff_of_another_event_cannot_scan_at_its_desk(staff):
    event, mine = EventFactory(), EventFactory()
    registrant = make_registrant(event)
    EventAssignment.objects.create(user=staff, event=mine)
    client = logged_in(staff)
    response = client.post(f"/events/{event.pk}/desk/scan/", {"q": registrant.check_in_code})
    assert response.status_code == 403
    transition = client.post(f"/registrants/{registrant.pk}/transition/", {"to": "checked_in"})
    assert transition.status_code == 403
    registrant.refresh_from_db()
    assert registrant.status == "registered"


@pytest.mark.parametrize(
    ("who", "says", "never"),
    [
        ("organiser", "Staff</a> page", "ask an organiser"),
        ("staff", "ask an organiser", "Staff</a> page"),
    ],
)
def test_the_403_page_says_something_useful_per_role(db, rf, request, who, says, never):
    from django.core.exceptions import PermissionDenied

    from dashboard.views.errors import forbidden

    page = rf.get("/somewhere/")
    page.user = request.getfixturevalue(who)
    response = forbidden(page, PermissionDenied("Your role may not open this page."))
    text = response.content.decode()
    assert response.status_code == 403
    assert says in text and never not in text
