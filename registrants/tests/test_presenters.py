"""registrants.presenters: the names and labels every path shows."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from registrants import presenters
from registrants.lifecycle import TRANSITIONS, Kind, Status
from registrants.tests.factories import EventFactory, make_registrant


@pytest.mark.parametrize(
    ("first", "last", "shown"),
    [("Sam", "Door", "Sam Door"), ("Sam", "", "Sam"), ("", "Door", "Door"), ("", "", "sam")],
)
def test_a_user_object_and_a_user_read_as_columns_are_named_alike(first, last, shown):
    user = get_user_model()(username="sam", first_name=first, last_name=last)
    assert presenters.actor_display_name(user) == shown
    assert presenters.person_name(first, last, "sam") == shown
    # The columns the gateway reads may be NULL where a user object has "".
    assert presenters.person_name(first or None, last or None, "sam") == shown


def test_no_actor_is_the_system():
    assert presenters.actor_display_name(None) == presenters.SYSTEM_ACTOR == "system"


def test_a_missing_status_is_new_and_known_ones_have_their_label():
    assert presenters.status_label("") == presenters.status_label(None) == "New"
    assert [presenters.status_label(s) for s in Status] == [s.label for s in Status]


def test_every_move_of_the_lifecycle_has_a_button_label():
    labels = {(a, b): presenters.move_label(a, b) for (a, b) in TRANSITIONS}
    assert labels[(Status.REGISTERED, Status.CHECKED_IN)] == "Check in"
    assert labels[(Status.EXITED, Status.ENTERED)] == "Let in again"
    assert labels[(Status.CHECKED_IN, Status.REGISTERED)] == "Undo check-in"
    assert all(label and not label.startswith("Move to") for label in labels.values())


def test_actions_on_many_are_named_by_target_and_kind():
    assert presenters.action_label(Status.CHECKED_IN, Kind.FORWARD) == "Check in"
    assert presenters.action_label(Status.CANCELLED, Kind.CANCEL) == "Cancel"
    # A pair without a name of its own still says what it does.
    assert presenters.action_label(Status.ENTERED, Kind.CORRECTION) == "Correction → Entered"


@pytest.mark.django_db
def test_a_registrant_summary_names_the_company_or_none():
    event = EventFactory()
    with_company = make_registrant(event, name="Ada Lovelace", company="Analytical Engines")
    without = make_registrant(event, name="Grace Hopper")
    assert presenters.registrant_summary(with_company) == {
        "id": with_company.pk,
        "name": "Ada Lovelace",
        "company": "Analytical Engines",
        "guest_type": with_company.guest_type,
        "status": with_company.status,
    }
    assert presenters.registrant_summary(without)["company"] is None


def test_a_live_status_message_counts_each_step_once():
    at = timezone.now()
    steps = [("registered", "checked_in"), ("checked_in", "entered")]
    message = presenters.live_status_message(
        event_id=7,
        registrant={"id": 1},
        changes=[
            presenters.live_change(
                id=n, from_status=a, to_status=b, at=at, actor=None, source="scan", note=""
            )
            for n, (a, b) in enumerate(steps)
        ],
    )
    # checked_in gained one and lost one: no entry for it.
    assert message["delta"] == {"registered": -1, "entered": 1}
    assert [c["at"] for c in message["changes"]] == [at.isoformat()] * 2
