"""Answers are personal data: the erasure deletes them, the subject access
export carries them, the operators' purge cascades to them."""

from __future__ import annotations

from registrants import services as registrant_services
from registrants.personal_data import registrant_personal_data
from registrants.tests.factories import make_registrant
from signup.models import Answer


def test_erasing_a_registrant_deletes_their_answers(open_event, diet, note):
    ann, bob = make_registrant(open_event, name="Ann"), make_registrant(open_event, name="Bob")
    Answer.objects.create(registrant=ann, question=note, value="Arrives by wheelchair")
    Answer.objects.create(registrant=bob, question=diet, value="Vegan")
    registrant_services.registrant_delete(registrant_id=ann.pk, actor=None)
    assert not Answer.objects.filter(registrant=ann).exists()
    assert Answer.objects.filter(registrant=bob).count() == 1


def test_erasing_many_deletes_all_their_answers(open_event, note):
    people = [make_registrant(open_event, name=f"P{i}") for i in range(3)]
    for person in people:
        Answer.objects.create(registrant=person, question=note, value="x")
    registrant_services.registrants_delete(registrant_ids=[p.pk for p in people[:2]], actor=None)
    assert list(Answer.objects.values_list("registrant_id", flat=True)) == [people[2].pk]


def test_the_subject_access_export_has_the_answers(open_event, diet, access, organiser):
    ann = make_registrant(open_event, name="Ann")
    Answer.objects.create(registrant=ann, question=diet, value="Vegan")
    Answer.objects.create(registrant=ann, question=access, value="yes")
    export = registrant_personal_data(registrant_id=ann.pk, actor=organiser)
    assert export["answers"] == [
        {"question": "Dietary needs", "kind": "choice", "answer": "Vegan"},
        {"question": "Wheelchair access", "kind": "yes_no", "answer": "yes"},
    ]


def test_the_export_of_an_erased_registrant_has_no_answers(open_event, diet, organiser):
    ann = make_registrant(open_event, name="Ann")
    Answer.objects.create(registrant=ann, question=diet, value="Vegan")
    registrant_services.registrant_delete(registrant_id=ann.pk, actor=None)
    assert registrant_personal_data(registrant_id=ann.pk, actor=organiser)["answers"] == []


def test_the_operators_purge_removes_answers_and_the_form_record(open_event, note):
    from registrants.purge import registrant_purge
    from signup import services
    from signup.models import Submission

    registrant, _ = services.public_register(
        event_id=open_event.pk,
        nonce="n",
        name="Ann",
        email="ann@example.com",
        company_name=None,
        guest_type="attendee",
        answers={note.pk: "x"},
    )
    registrant_services.registrant_delete(registrant_id=registrant.pk, actor=None)  # erase first
    registrant_purge(registrant_id=registrant.pk)
    assert not Answer.objects.exists() and not Submission.objects.exists()
