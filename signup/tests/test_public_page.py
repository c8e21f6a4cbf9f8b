"""The public registration page: the form, its guards, its readable refusals."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mail.models import Kind, Message
from registrants.models import Registrant, Source, StatusChange
from registrants.tests.factories import CompanyFactory, EventFactory, make_registrant
from signup import forms as signup_forms
from signup import services
from signup.models import Answer
from signup.views import THANKS_SALT


def _url(event):
    return reverse("signup:register", args=[event.pk])


def _form_fields(client, event) -> dict[str, str]:
    """What a browser would send back: the hidden token (and CSRF token)."""
    page = client.get(_url(event))
    assert page.status_code == 200
    html = page.content.decode()
    fields = dict(re.findall(r'name="(form_token|csrfmiddlewaretoken)" value="([^"]+)"', html))
    assert "form_token" in fields
    return fields


def _post(client, event, **values):
    data = {
        **_form_fields(client, event),
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "guest_type": "attendee",  # the select's first option, as a browser sends it
    }
    data.update(values)
    return client.post(_url(event), data)


def test_registering_shows_the_thank_you_page_and_stores_answers(client, open_event, diet, access):
    response = _post(
        client,
        open_event,
        company="Analytical Engines",
        guest_type="speaker",
        **{f"question_{diet.pk}": "Vegan", f"question_{access.pk}": "yes"},
    )
    assert response.status_code == 302
    thanks = client.get(response["Location"])
    assert "Thank you, Ada Lovelace" in thanks.content.decode()
    registrant = Registrant.objects.get(event=open_event)
    assert (registrant.guest_type, registrant.company.name) == ("speaker", "Analytical Engines")
    assert set(Answer.objects.values_list("value", flat=True)) == {"Vegan", "yes"}
    assert StatusChange.objects.get(registrant=registrant).source == Source.REGISTRATION


def test_the_form_asks_the_questions_and_the_offered_guest_types(client, open_event, diet, note):
    html = client.get(_url(open_event)).content.decode()
    assert "Dietary needs" in html and "Anything else" in html
    assert 'value="speaker"' in html and 'value="vip"' not in html


def test_a_post_without_the_csrf_token_is_refused(open_event):
    client = Client(enforce_csrf_checks=True)
    fields = _form_fields(client, open_event)
    fields.pop("csrfmiddlewaretoken")
    response = client.post(
        _url(open_event),
        {**fields, "name": "Ada Lovelace", "email": "ada@example.com", "guest_type": "attendee"},
    )
    assert response.status_code == 403
    assert not Registrant.objects.exists()


def test_the_form_with_its_csrf_token_is_accepted(open_event):
    client = Client(enforce_csrf_checks=True)
    assert _post(client, open_event).status_code == 302


def test_a_filled_honeypot_is_refused(client, open_event):
    response = _post(client, open_event, website="http://spam.example")
    assert response.status_code == 400
    assert not Registrant.objects.exists()


def test_a_form_sent_too_fast_is_refused_and_accepted_after_a_wait(
    client, open_event, settings, monkeypatch
):
    settings.PUBLIC_REGISTRATION_MIN_SECONDS = 3
    start = 1_800_000_000.0
    monkeypatch.setattr(signup_forms, "now", lambda: start)
    fields = _form_fields(client, open_event)
    data = {**fields, "name": "Ada Lovelace", "email": "ada@example.com", "guest_type": "attendee"}
    monkeypatch.setattr(signup_forms, "now", lambda: start + 1)
    assert client.post(_url(open_event), data).status_code == 400
    assert not Registrant.objects.exists()
    monkeypatch.setattr(signup_forms, "now", lambda: start + 4)
    assert client.post(_url(open_event), data).status_code == 302


def test_a_forged_form_token_is_refused(client, open_event):
    response = _post(client, open_event, form_token="not-signed")
    assert response.status_code == 400
    assert not Registrant.objects.exists()


def test_a_token_of_another_event_is_refused(client, open_event):
    other = EventFactory()
    response = _post(client, open_event, form_token=signup_forms.issue_token(other.pk))
    assert response.status_code == 400


def _thanked(response) -> int:
    """The registrant a thank-you redirect is for (its signed token carries
    the time it was made, so two redirects a second apart differ)."""
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    return signing.loads(token, salt=THANKS_SALT)


def test_a_double_submit_registers_once_and_shows_the_same_thanks(client, open_event):
    data = {**_form_fields(client, open_event), "name": "Ada Lovelace", "email": "ada@example.com"}
    data["guest_type"] = "attendee"
    first = client.post(_url(open_event), data)
    second = client.post(_url(open_event), {**data, "name": "Ada Twice"})
    assert first.status_code == second.status_code == 302
    assert _thanked(first) == _thanked(second)
    assert Registrant.objects.filter(event=open_event).count() == 1


def test_the_rate_limit_per_address_answers_429(client, open_event, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"scan": "100/min", "registration": "2/h"},
    }
    assert _post(client, open_event, email="a@example.com").status_code == 302
    assert _post(client, open_event, email="b@example.com").status_code == 302
    refused = _post(client, open_event, email="c@example.com")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert Registrant.objects.count() == 2


def test_a_missing_required_answer_shows_the_form_again(client, open_event, diet):
    response = _post(client, open_event)
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not Registrant.objects.exists()


def test_an_invalid_email_is_shown_on_the_form(client, open_event):
    response = _post(client, open_event, email="not-an-email")
    assert response.status_code == 400
    assert not Registrant.objects.exists()


def test_a_page_not_open_yet_says_when_it_opens(client, open_event):
    opens = timezone.now() + datetime.timedelta(days=2)
    services.registration_page_update(event_id=open_event.pk, actor=None, opens_at=opens)
    html = client.get(_url(open_event)).content.decode()
    local = timezone.localtime(opens, datetime.timezone(datetime.timedelta(0))).year
    assert "opens on" in html and str(local) in html and "Europe/Berlin" in html
    assert "form_token" not in html


def test_a_closed_page_says_it_closed(client, open_event):
    closes = timezone.now() - datetime.timedelta(hours=1)
    services.registration_page_update(event_id=open_event.pk, actor=None, closes_at=closes)
    html = client.get(_url(open_event)).content.decode()
    assert "closed on" in html and "form_token" not in html


def test_a_full_event_offers_its_waitlist(client, open_event):
    open_event.capacity = 1
    open_event.save(update_fields=["capacity"])
    make_registrant(open_event)
    html = client.get(_url(open_event)).content.decode()
    assert "is full" in html and "join the waitlist" in html and "form_token" in html
    response = _post(client, open_event)
    assert response.status_code == 302
    assert Registrant.objects.filter(event=open_event, status="waitlisted").count() == 1
    thanks = client.get(response["Location"]).content.decode()
    assert "data-waitlisted" in thanks and "number 1 in line" in thanks


def test_filling_the_last_seat_between_form_and_submit_joins_the_waitlist(client, open_event):
    open_event.capacity = 1
    open_event.save(update_fields=["capacity"])
    fields = _form_fields(client, open_event)
    make_registrant(open_event)
    response = client.post(
        _url(open_event),
        {**fields, "name": "Ada Lovelace", "email": "ada@example.com", "guest_type": "attendee"},
    )
    assert response.status_code == 302
    assert Registrant.objects.filter(event=open_event, status="waitlisted").count() == 1
    assert Registrant.objects.filter(event=open_event).exclude(status="waitlisted").count() == 1


def test_an_event_without_a_page_is_not_found(client, db):
    assert client.get(_url(EventFactory())).status_code == 404


@pytest.mark.parametrize("query", ["goo", " GOOGLE "])
def test_company_suggestions_match_after_normalisation(client, open_event, query):
    CompanyFactory(name="Google Inc.")
    CompanyFactory(name="Microsoft")
    url = reverse("signup:company_suggestions", args=[open_event.pk])
    assert client.get(url, {"q": query}).json() == {"companies": ["Google Inc."]}


def test_company_suggestions_are_rate_limited_per_address(client, open_event, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"registration": "100/h", "registration_lookup": "2/min"},
    }
    url = reverse("signup:company_suggestions", args=[open_event.pk])
    assert [client.get(url, {"q": "go"}).status_code for _ in range(3)] == [200, 200, 429]


def test_company_suggestions_need_an_open_page(client, db):
    event = EventFactory()
    url = reverse("signup:company_suggestions", args=[event.pk])
    assert client.get(url, {"q": "goo"}).status_code == 404


def test_a_form_older_than_a_day_is_refused(client, open_event, monkeypatch):
    start = 1_800_000_000.0
    monkeypatch.setattr(signup_forms, "now", lambda: start)
    fields = _form_fields(client, open_event)
    monkeypatch.setattr(signup_forms, "now", lambda: start + signup_forms.FORM_MAX_AGE + 1)
    data = {**fields, "name": "Ada Lovelace", "email": "ada@example.com", "guest_type": "attendee"}
    response = client.post(_url(open_event), data)
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert not Registrant.objects.exists()


def test_rotating_x_forwarded_for_does_not_reset_the_rate_limit(client, open_event, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"registration": "1/h", "registration_lookup": "100/min"},
    }
    statuses = []
    for n, forwarded in enumerate(["10.0.0.1", "10.0.0.2"]):
        fields = _form_fields(client, open_event)
        data = {**fields, "name": "B", "email": f"b{n}@example.com", "guest_type": "attendee"}
        response = client.post(_url(open_event), data, HTTP_X_FORWARDED_FOR=forwarded)
        statuses.append(response.status_code)
    assert statuses == [302, 429]
    assert Registrant.objects.count() == 1


def test_a_page_that_closed_after_the_form_was_served_says_so(client, open_event):
    fields = _form_fields(client, open_event)
    services.registration_page_update(
        event_id=open_event.pk,
        actor=None,
        closes_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    data = {**fields, "name": "Ada Lovelace", "email": "ada@example.com", "guest_type": "attendee"}
    response = client.post(_url(open_event), data)
    assert response.status_code == 409
    assert "closed on" in response.content.decode()
    assert not Registrant.objects.exists()


def test_a_self_registration_gets_its_ticket_by_e_mail_and_a_link_to_it(client, open_event):
    """E-mail settings off (the default): the public page's registrant is
    mailed the ticket all the same; an organiser's registrant is not."""
    response = _post(client, open_event)
    registrant = Registrant.objects.get(event=open_event)
    message = Message.objects.get(registrant=registrant)
    assert (message.kind, message.recipient) == (Kind.CONFIRMATION, "ada@example.com")
    thanks = client.get(response["Location"]).content.decode()
    ticket_url = re.search(r'href="([^"]+)" id="ticket-link"', thanks).group(1)
    ticket = Client().get(ticket_url.replace("&amp;", "&"))
    assert ticket.status_code == 200
    assert "Ada Lovelace" in ticket.content.decode()
    services_registrant = make_registrant(open_event, name="Added By Organiser")
    assert not Message.objects.filter(registrant=services_registrant).exists()
