"""The Webhooks page without a browser: who may open it, adding an endpoint
(and a refused URL), the log with its last answer, replay, the disabled notice."""

from __future__ import annotations

import pytest
from django.test import Client

from registrants.tests.factories import PASSWORD, make_registrant
from webhooks import dispatch
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_organisers_add_an_endpoint_and_see_its_log(event, organiser, receiver):
    client = logged_in(organiser)
    page = f"/events/{event.pk}/webhooks/"
    answer = client.post(page, {"url": receiver.url, "description": "CRM"})
    assert answer.status_code == 302
    endpoint = Endpoint.objects.get()
    receiver.script.append(502)
    make_registrant(event)
    dispatch.send_due()
    html = client.get(page).content.decode()
    assert endpoint.secret in html and "HTTP 502" in html and 'data-state="pending"' in html


def test_a_refused_url_is_shown_on_the_form(event, organiser, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    answer = logged_in(organiser).post(f"/events/{event.pk}/webhooks/", {"url": "http://10.0.0.1/"})
    assert answer.status_code == 200
    assert "private" in answer.content.decode() and not Endpoint.objects.exists()


def test_replay_and_the_disabled_notice(event, organiser, receiver, settings):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 1
    Endpoint.objects.create(event=event, url=receiver.url)
    make_registrant(event)
    dispatch.send_due()
    client = logged_in(organiser)
    delivered = Delivery.objects.get()
    assert client.post(f"/webhook-deliveries/{delivered.pk}/replay/").status_code == 302
    assert Delivery.objects.filter(replay_of=delivered).count() == 1
    receiver.script.append(500)
    dispatch.send_due()
    html = client.get(f"/events/{event.pk}/webhooks/").content.decode()
    assert "data-disabled-notice" in html and "Disabled after 1 failed attempts" in html


@pytest.mark.parametrize("who", ["staff", "viewer"])
def test_staff_and_viewers_may_not_open_it(request, who, event):
    client = logged_in(request.getfixturevalue(who))
    assert client.get(f"/events/{event.pk}/webhooks/").status_code == 403
    assert client.post(f"/events/{event.pk}/webhooks/", {"url": "http://x/"}).status_code == 403
