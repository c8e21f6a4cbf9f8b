"""The live stream follows the per-event rule: a user assigned to other
events is refused (4403); assigned to this one, or an organiser, listens."""

from __future__ import annotations

import pytest

from accounts.models import EventAssignment
from registrants.tests.factories import EventFactory, make_user

from .test_consumers import communicator, connect_and_read_snapshot, run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("role", ["checkin_staff", "viewer"])
def test_a_user_of_another_event_is_refused(role):
    event, mine = EventFactory(), EventFactory()
    user = make_user(f"u-{role}", role)
    EventAssignment.objects.create(user=user, event=mine)

    async def scenario():
        connected, code = await communicator(event.pk, user).connect(timeout=5)
        assert (connected, code) == (False, 4403)
        comm = communicator(mine.pk, user)
        await connect_and_read_snapshot(comm)
        await comm.disconnect()

    run(scenario)


def test_an_organiser_assigned_elsewhere_still_listens():
    event, other = EventFactory(), EventFactory()
    organiser = make_user("org-live", "organiser")
    EventAssignment.objects.create(user=organiser, event=other)

    async def scenario():
        comm = communicator(event.pk, organiser)
        await connect_and_read_snapshot(comm)
        await comm.disconnect()

    run(scenario)
