"""The same form sent many times at once (double-clicks, a retrying
browser) registers one person: every copy gets that registrant back.

The guard: public_register looks the form's nonce up after locking the
event row, which every registration of the event takes (on SQLite,
IMMEDIATE transactions serialise the writers instead). The twin removes the
lock and widens the window after the look-up: the nonce's unique
constraint then refuses the late copies with `conflict` (the race is real),
still never two registrants.
"""

from __future__ import annotations

import pytest

from registrants.models import Registrant
from registrants.tests.concurrency.racing import (
    check_scenario,
    crashes,
    disable_row_locks,
    race,
    sleep_after,
    tally,
)
from registrants.tests.factories import EventFactory
from signup import services

pytestmark = pytest.mark.django_db(transaction=True)

COPIES = 20


def _event():
    event = EventFactory(capacity=100)
    services.registration_page_update(event_id=event.pk, actor=None, enabled=True)
    return event


def _copy(event, n):
    return lambda: services.public_register(
        event_id=event.pk,
        nonce="one-form",
        name=f"Copy {n}",
        email="ada@example.com",
        company_name="Acme",
        guest_type="attendee",
        answers={},
    )


def test_the_same_form_sent_at_once_registers_one_person():
    event = _event()
    outcomes = race([_copy(event, n) for n in range(COPIES)])
    assert crashes(outcomes) == []
    assert tally(outcomes) == {"ok": COPIES}
    registrants = {o.value[0].pk for o in outcomes}
    assert len(registrants) == 1
    assert sum(o.value[1] for o in outcomes) == 1  # one copy created, the rest found it
    assert Registrant.objects.filter(event=event).count() == 1
    check_scenario(event)


@pytest.mark.race_twin
@pytest.mark.postgres
def test_twin_without_the_event_lock_late_copies_hit_the_unique_nonce(monkeypatch):
    event = _event()
    disable_row_locks(monkeypatch)
    monkeypatch.setattr(services, "page_state", sleep_after(services.page_state, 0.2))
    # registrant_register locks the event itself: unlock it as well.
    outcomes = race([_copy(event, n) for n in range(COPIES)])
    assert crashes(outcomes) == []
    assert tally(outcomes)["conflict"] >= 1  # the race happened
    assert Registrant.objects.filter(event=event).count() == 1  # the constraint held
