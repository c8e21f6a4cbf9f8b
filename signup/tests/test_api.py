"""The registration page's API: settings, questions, answers; roles."""

from __future__ import annotations

import pytest

from audit.models import Action, AuditEntry
from registrants.tests.factories import EventFactory, make_registrant
from signup.models import Answer, Question, RegistrationPage


def _page(event):
    return f"/api/v1/events/{event.pk}/registration-page/"


def test_organiser_opens_the_page_through_the_api(org_client, organiser):
    event = EventFactory()
    response = org_client.patch(
        _page(event),
        {
            "enabled": True,
            "closes_at": "2026-11-30T18:00:00+01:00",
            "guest_types": ["vip", "attendee"],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["enabled"] is True and body["guest_types"] == ["attendee", "vip"]
    assert body["state"] == "closed" or body["state"] == "open"
    assert body["url"] == f"/register/{event.pk}/"
    assert AuditEntry.objects.get(action=Action.REGISTRATION_PAGE_CHANGED).actor == organiser


@pytest.mark.parametrize(
    "body",
    [
        {"opens_at": "2026-12-01T00:00:00Z", "closes_at": "2026-11-01T00:00:00Z"},
        {"guest_types": ["wizard"]},
        {"enabled": "maybe"},
        # A time before 2000 is a typo, and in some zones its offset had
        # seconds, which no date-time in the API's schema may carry.
        {"opens_at": "0812-08-15T19:42:05.000327-03:34"},
        {"closes_at": "1899-12-31T23:00:00Z"},
    ],
)
def test_bad_page_settings_are_400_in_the_error_shape(org_client, body):
    event = EventFactory()
    response = org_client.patch(_page(event), body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert not RegistrationPage.objects.filter(event=event, enabled=True).exists()


def test_a_time_without_offset_is_the_venues(org_client):
    import datetime
    import zoneinfo

    event = EventFactory(time_zone="Asia/Tokyo")
    response = org_client.patch(_page(event), {"opens_at": "2026-11-30T18:00:00"}, format="json")
    assert response.status_code == 200
    expected = datetime.datetime(2026, 11, 30, 18, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert RegistrationPage.objects.get(event=event).opens_at == expected


def test_questions_are_created_listed_changed_and_removed(org_client):
    event = EventFactory()
    url = f"/api/v1/events/{event.pk}/questions/"
    created = org_client.post(
        url,
        {
            "label": "Dietary needs",
            "kind": "choice",
            "choices": ["None", "Vegan"],
            "required": True,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    qid = created.json()["id"]
    assert [q["label"] for q in org_client.get(url).json()] == ["Dietary needs"]
    changed = org_client.patch(f"/api/v1/questions/{qid}/", {"required": False}, format="json")
    assert changed.status_code == 200 and changed.json()["required"] is False
    same = org_client.post(url, {"label": "DIETARY_needs", "kind": "text"}, format="json")
    assert same.status_code == 409
    assert org_client.delete(f"/api/v1/questions/{qid}/").status_code == 204
    assert not Question.objects.exists()


def test_registrant_answers_are_readable(org_client, viewer_client):
    event = EventFactory()
    q = Question.objects.create(event=event, label="Diet", label_key="diet", kind="text")
    r = make_registrant(event)
    Answer.objects.create(registrant=r, question=q, value="Vegan")
    response = viewer_client.get(f"/api/v1/registrants/{r.pk}/answers/")
    assert response.status_code == 200
    assert response.json() == [
        {"question": q.pk, "label": "Diet", "kind": "text", "value": "Vegan"}
    ]


def test_staff_and_viewers_may_not_change_the_page_or_questions(staff_client, viewer_client):
    event = EventFactory()
    q = Question.objects.create(event=event, label="Diet", label_key="diet", kind="text")
    for client in (staff_client, viewer_client):
        assert client.patch(_page(event), {"enabled": True}, format="json").status_code == 403
        response = client.post(
            f"/api/v1/events/{event.pk}/questions/", {"label": "X", "kind": "text"}, format="json"
        )
        assert response.status_code == 403
        assert client.delete(f"/api/v1/questions/{q.pk}/").status_code == 403
    assert Question.objects.count() == 1
    assert not RegistrationPage.objects.exists()


def test_anonymous_is_401(anon_client, db):
    event = EventFactory()
    assert anon_client.get(_page(event)).status_code == 401
