"""The registration page's services: questions, answers, the once-only form."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from audit.models import Action, AuditEntry
from registrants.errors import ApplicationError
from registrants.models import Registrant, Source, StatusChange
from registrants.tests.factories import EventFactory, make_registrant
from signup import services
from signup.models import Answer, Submission


def _register(event, nonce="n1", **overrides):
    values = {
        "event_id": event.pk,
        "nonce": nonce,
        "name": "Grace Hopper",
        "email": "grace@example.com",
        "company_name": "Navy",
        "guest_type": "attendee",
        "answers": {},
    }
    values.update(overrides)
    return services.public_register(**values)


def test_registration_from_the_page_stores_answers_and_history_source(open_event, diet, access):
    registrant, created = _register(open_event, answers={diet.pk: "vegan", access.pk: "Yes"})
    assert created
    assert dict(
        Answer.objects.filter(registrant=registrant).values_list("question_id", "value")
    ) == {
        diet.pk: "Vegan",
        access.pk: "yes",
    }
    change = StatusChange.objects.get(registrant=registrant)
    assert (change.source, change.actor_id) == (Source.REGISTRATION, None)


def test_the_same_form_sent_twice_returns_the_first_registrant(open_event):
    first, created = _register(open_event, nonce="same")
    again, created_again = _register(open_event, nonce="same", name="Someone Else")
    assert created and not created_again
    assert again.pk == first.pk
    assert Registrant.objects.filter(event=open_event).count() == 1


def test_a_required_question_without_answer_is_refused_and_nothing_written(open_event, diet):
    with pytest.raises(ApplicationError) as err:
        _register(open_event, answers={})
    assert err.value.code == "validation_error"
    assert f"question_{diet.pk}" in err.value.fields
    assert not Registrant.objects.exists() and not Submission.objects.exists()


def test_an_answer_outside_the_choices_is_refused(open_event, diet):
    with pytest.raises(ApplicationError) as err:
        _register(open_event, answers={diet.pk: "Pescatarian"})
    assert err.value.code == "validation_error"


def test_a_guest_type_the_page_does_not_offer_is_refused(open_event):
    with pytest.raises(ApplicationError) as err:
        _register(open_event, guest_type="vip")
    assert err.value.fields.keys() == {"guest_type"}


@pytest.mark.parametrize(
    ("opens", "closes"),
    [(datetime.timedelta(hours=1), None), (None, -datetime.timedelta(hours=1))],
)
def test_registration_outside_the_window_is_refused(open_event, opens, closes):
    now = timezone.now()
    services.registration_page_update(
        event_id=open_event.pk,
        actor=None,
        opens_at=now + opens if opens else None,
        closes_at=now + closes if closes else None,
    )
    with pytest.raises(ApplicationError) as err:
        _register(open_event)
    assert err.value.code == "registration_closed"


def test_a_disabled_page_takes_no_registration(db):
    event = EventFactory()
    with pytest.raises(ApplicationError) as err:
        _register(event)
    assert err.value.code == "registration_closed"


def test_a_full_event_puts_the_registration_on_its_waitlist(open_event):
    open_event.capacity = 1
    open_event.save(update_fields=["capacity"])
    make_registrant(open_event)
    registrant, created = _register(open_event)
    assert created and registrant.status == "waitlisted"
    assert Submission.objects.get().registrant == registrant


def test_a_window_that_closes_before_it_opens_is_refused(open_event):
    now = timezone.now()
    with pytest.raises(ApplicationError) as err:
        services.registration_page_update(
            event_id=open_event.pk, actor=None, opens_at=now, closes_at=now
        )
    assert err.value.fields.keys() == {"closes_at"}


def test_two_questions_may_not_share_a_label(open_event, diet):
    with pytest.raises(ApplicationError) as err:
        services.question_create(
            event_id=open_event.pk, actor=None, label=" dietary_NEEDS ", kind="text"
        )
    assert err.value.code == "conflict"


def test_a_choice_question_needs_two_options(open_event):
    with pytest.raises(ApplicationError) as err:
        services.question_create(
            event_id=open_event.pk, actor=None, label="Size", kind="choice", choices=["M"]
        )
    assert err.value.fields.keys() == {"choices"}


def test_page_and_question_changes_are_audited(open_event, organiser):
    services.registration_page_update(event_id=open_event.pk, actor=organiser, enabled=False)
    q = services.question_create(
        event_id=open_event.pk, actor=organiser, label="T-shirt", kind="text"
    )
    services.question_update(question_id=q.pk, actor=organiser, required=True)
    services.question_delete(question_id=q.pk, actor=organiser)
    actions = list(
        AuditEntry.objects.filter(actor=organiser).order_by("id").values_list("action", "details")
    )
    assert [a for a, _ in actions] == [
        Action.REGISTRATION_PAGE_CHANGED,
        Action.QUESTION_ADDED,
        Action.QUESTION_CHANGED,
        Action.QUESTION_REMOVED,
    ]
    assert actions[0][1]["fields"] == ["enabled"]
    assert actions[2][1]["fields"] == ["required"]


def test_removing_a_question_removes_its_answers(open_event, note):
    registrant, _ = _register(open_event, answers={note.pk: "Late arrival"})
    services.question_delete(question_id=note.pk, actor=None)
    assert not Answer.objects.filter(registrant=registrant).exists()
