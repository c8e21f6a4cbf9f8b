"""The two hooks other apps use for a person's data (registrants/signals.py):
an erasure tells receivers inside its transaction, so a receiver that fails
undoes the erasure; a subject access export merges receivers' sections.
Runs on both databases."""

from __future__ import annotations

import pytest
from django.db import connection

from registrants.erasure import ERASED_NAME, registrant_erase, registrants_erase
from registrants.models import Registrant
from registrants.personal_data import registrant_personal_data
from registrants.signals import personal_data_requested, registrants_erasing
from registrants.tests.factories import make_registrant

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    calls = []

    def on_erasing(sender, *, registrant_ids, **kwargs):
        calls.append((sorted(registrant_ids), connection.in_atomic_block))

    registrants_erasing.connect(on_erasing)
    yield calls
    registrants_erasing.disconnect(on_erasing)


def test_receivers_hear_of_each_erasure_inside_its_transaction(event, receiver):
    ada, bob = make_registrant(event, name="Ada"), make_registrant(event, name="Bob")
    registrant_erase(registrant_id=ada.pk)
    registrants_erase(registrant_ids=[bob.pk, ada.pk])  # ada is erased already
    assert receiver == [([ada.pk], True), ([bob.pk], True)]


def test_a_failing_receiver_undoes_the_erasure(event):
    ada = make_registrant(event, name="Ada")

    def broken(sender, **kwargs):
        raise RuntimeError("answers table unavailable")

    registrants_erasing.connect(broken)
    try:
        with pytest.raises(RuntimeError):
            registrant_erase(registrant_id=ada.pk)
    finally:
        registrants_erasing.disconnect(broken)
    ada = Registrant.objects.get(pk=ada.pk)
    assert (ada.name, ada.erased_at) == ("Ada", None)
    registrant_erase(registrant_id=ada.pk)
    assert Registrant.objects.get(pk=ada.pk).name == ERASED_NAME


def test_receivers_add_sections_to_a_subject_access_export(event, organiser):
    ada = make_registrant(event, name="Ada")

    def answers(sender, *, registrant, **kwargs):
        return {"answers": [{"registrant": registrant.pk, "dietary": "vegan"}]}

    personal_data_requested.connect(answers)
    try:
        export = registrant_personal_data(registrant_id=ada.pk, actor=organiser)
    finally:
        personal_data_requested.disconnect(answers)
    assert export["answers"] == [{"registrant": ada.pk, "dietary": "vegan"}]
    assert export["registrant"]["name"] == "Ada"
