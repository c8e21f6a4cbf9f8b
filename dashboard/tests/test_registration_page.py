"""The registration page settings and questions on the organiser's pages,
and the answers on the registrant page."""

from __future__ import annotations

import datetime
import zoneinfo

from django.urls import reverse

from audit.models import Action, AuditEntry
from registrants.tests.factories import EventFactory, make_registrant
from signup import services
from signup.models import Answer, Question, RegistrationPage


def _url(event):
    return reverse("dashboard:registration_page", args=[event.pk])


def test_organiser_opens_the_page_with_times_in_the_venue_time_zone(org_web, organiser):
    event = EventFactory(time_zone="America/New_York")
    response = org_web.post(
        _url(event),
        {
            "enabled": "on",
            "opens_at": "2026-11-01T09:00",
            "closes_at": "2026-11-30T18:00",
            "guest_types": ["attendee", "press"],
        },
    )
    assert response.status_code == 302
    page = RegistrationPage.objects.get(event=event)
    zone = zoneinfo.ZoneInfo("America/New_York")
    assert page.enabled and page.guest_types == ["attendee", "press"]
    assert page.opens_at == datetime.datetime(2026, 11, 1, 9, 0, tzinfo=zone)
    assert page.closes_at == datetime.datetime(2026, 11, 30, 18, 0, tzinfo=zone)
    html = org_web.get(_url(event)).content.decode()
    assert 'value="2026-11-01T09:00"' in html  # shown back in the venue's time
    assert reverse("signup:register", args=[event.pk]) in html
    entry = AuditEntry.objects.get(action=Action.REGISTRATION_PAGE_CHANGED)
    assert (entry.actor, entry.event_id) == (organiser, event.pk)


def test_closing_before_opening_is_shown_on_the_form(org_web):
    event = EventFactory()
    response = org_web.post(
        _url(event),
        {"enabled": "on", "opens_at": "2026-11-02T09:00", "closes_at": "2026-11-01T09:00"},
    )
    assert response.status_code == 400
    assert "later than the opening time" in response.content.decode()
    assert not RegistrationPage.objects.filter(event=event, enabled=True).exists()


def test_organiser_adds_changes_and_removes_a_question(org_web):
    event = EventFactory()
    add = reverse("dashboard:question_new", args=[event.pk])
    response = org_web.post(
        add,
        {
            "new-label": "Dietary needs",
            "new-kind": "choice",
            "new-choices": "None\nVegetarian\nVegan",
            "new-required": "on",
        },
    )
    assert response.status_code == 302
    question = Question.objects.get(event=event)
    assert (question.choices, question.required) == (["None", "Vegetarian", "Vegan"], True)
    edit = reverse("dashboard:question_edit", args=[event.pk, question.pk])
    prefix = f"q{question.pk}"
    response = org_web.post(
        edit, {f"{prefix}-label": "Diet", f"{prefix}-kind": "text", f"{prefix}-choices": ""}
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert (question.label, question.kind, question.required) == ("Diet", "text", False)
    delete = reverse("dashboard:question_delete", args=[event.pk, question.pk])
    assert org_web.post(delete).status_code == 302
    assert not Question.objects.filter(event=event).exists()
    assert list(
        AuditEntry.objects.filter(event_id=event.pk).order_by("id").values_list("action", flat=True)
    ) == [Action.QUESTION_ADDED, Action.QUESTION_CHANGED, Action.QUESTION_REMOVED]


def test_a_choice_question_without_options_is_shown_on_the_form(org_web):
    event = EventFactory()
    response = org_web.post(
        reverse("dashboard:question_new", args=[event.pk]),
        {"new-label": "Size", "new-kind": "choice", "new-choices": ""},
    )
    assert response.status_code == 400
    assert "2 to 50 different options" in response.content.decode()


def test_staff_and_viewers_may_not_open_or_change_the_settings(staff_web, viewer_web):
    event = EventFactory()
    for web in (staff_web, viewer_web):
        assert web.get(_url(event)).status_code == 403
        response = web.post(
            reverse("dashboard:question_new", args=[event.pk]),
            {"new-label": "X", "new-kind": "text"},
        )
        assert response.status_code == 403
    assert not Question.objects.exists()


def test_the_registrant_page_shows_the_answers(org_web):
    event = EventFactory()
    question = services.question_create(
        event_id=event.pk, actor=None, label="Accessibility", kind="text"
    )
    registrant = make_registrant(event)
    Answer.objects.create(registrant=registrant, question=question, value="Step-free access")
    html = org_web.get(reverse("dashboard:registrant", args=[registrant.pk])).content.decode()
    assert "Accessibility" in html and "Step-free access" in html


def test_the_list_offers_and_applies_the_answer_filter(org_web):
    event = EventFactory()
    access = services.question_create(
        event_id=event.pk, actor=None, label="Wheelchair access", kind="yes_no"
    )
    answered = {}
    for name, value in [("Ann", "yes"), ("Bob", "no")]:
        answered[name] = make_registrant(event, name=name)
        Answer.objects.create(registrant=answered[name], question=access, value=value)
    open_event = event
    url = reverse("dashboard:registrants", args=[open_event.pk])
    page = org_web.get(url).content.decode()
    assert f'value="{access.pk}:yes"' in page
    filtered = org_web.get(url, {"answer": f"{access.pk}:no"}).content.decode()
    assert answered["Bob"].email in filtered
    assert answered["Ann"].email not in filtered
