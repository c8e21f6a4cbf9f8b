"""Fixtures of the registration page's tests: an event with an open page and
two questions, and a clean throttle."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from registrants.tests.factories import EventFactory
from signup import services
from signup.models import Question


@pytest.fixture(autouse=True)
def _fresh_throttle():
    # The rate limit counts in the cache, which outlives a test (Redis).
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def open_event(db):
    event = EventFactory(capacity=10, time_zone="Europe/Berlin")
    services.registration_page_update(
        event_id=event.pk, actor=None, enabled=True, guest_types=["attendee", "speaker"]
    )
    return event


@pytest.fixture
def diet(open_event) -> Question:
    return services.question_create(
        event_id=open_event.pk,
        actor=None,
        label="Dietary needs",
        kind="choice",
        choices=["None", "Vegetarian", "Vegan"],
        required=True,
    )


@pytest.fixture
def access(open_event) -> Question:
    return services.question_create(
        event_id=open_event.pk, actor=None, label="Wheelchair access", kind="yes_no"
    )


@pytest.fixture
def note(open_event) -> Question:
    return services.question_create(
        event_id=open_event.pk, actor=None, label="Anything else", kind="text"
    )
