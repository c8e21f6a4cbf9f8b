"""The audit log page: organisers only, filters, pagination. Both databases."""

from __future__ import annotations

import pytest
from django.test import Client

from audit.models import Action, AuditEntry
from registrants import services
from registrants.tests.factories import make_registrant

pytestmark = pytest.mark.django_db


def _web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_organisers_see_entries_filtered_by_event_and_action(organiser, event):
    from registrants.tests.factories import EventFactory

    other_event = EventFactory()
    ada, bob = make_registrant(event, name="Ada"), make_registrant(other_event, name="Bob")
    services.registrant_update(registrant_id=ada.pk, name="Ada K", actor=organiser)
    services.registrant_delete(registrant_id=bob.pk, actor=organiser)
    web = _web(organiser)
    page = web.get("/audit/")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    body = page.content.decode()
    assert f"#{ada.pk}" in body and f"#{bob.pk}" in body
    assert "Ada K" not in body  # the log holds no values
    only = web.get(f"/audit/?event={other_event.pk}").content.decode()
    assert f">#{bob.pk}<" in only and f">#{ada.pk}<" not in only
    edits = web.get("/audit/?action=registrant_edited").content.decode()
    assert f">#{ada.pk}<" in edits and f">#{bob.pk}<" not in edits


def test_the_page_is_paginated_and_keeps_its_filter(organiser, event):
    AuditEntry.objects.bulk_create(
        AuditEntry(action=Action.LIST_EXPORTED, actor_name="olga", event_id=event.pk)
        for _ in range(51)
    )
    body = _web(organiser).get(f"/audit/?event={event.pk}").content.decode()
    assert "Page 1 of 2" in body and f"?event={event.pk}&amp;page=2" in body


def test_a_bad_filter_is_a_400_page(organiser):
    response = _web(organiser).get("/audit/?registrant=abc&since=never")
    assert response.status_code == 400
    assert "Some filters are not valid" in response.content.decode()


@pytest.mark.parametrize("role", ["viewer", "staff"])
def test_viewers_and_staff_get_a_403(role, request):
    assert _web(request.getfixturevalue(role)).get("/audit/").status_code == 403


def test_the_nav_links_the_log_for_organisers_only(organiser, viewer):
    assert 'href="/audit/"' in _web(organiser).get("/").content.decode()
    assert 'href="/audit/"' not in _web(viewer).get("/").content.decode()
