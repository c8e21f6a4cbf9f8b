"""An open stream is closed (4403) once its user loses access to the event:
an assignment removed, a first assignment elsewhere, the account
deactivated, the role taken away. A change that leaves the access alone
leaves the stream open and receiving."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import Group
from django.db import transaction

from accounts import staff as staff_services
from accounts.admin import deactivate_users
from accounts.models import EventAssignment
from registrants import services
from registrants.tests.factories import EventFactory, make_registrant, make_user

from .frames import receive_message
from .test_consumers import communicator, connect_and_read_snapshot, run

pytestmark = pytest.mark.django_db(transaction=True)

# The racing change, and a numbers tick.
MAX_FRAMES = 2


async def closed_with(comm) -> int:
    """The close code of the stream. Frames already on their way may come
    first (with Redis, the change made after the access was lost travels on
    another channel than the recheck), but a stream left open keeps sending
    numbers every few seconds: more than MAX_FRAMES means it was not closed."""
    for _ in range(MAX_FRAMES + 1):
        output = await comm.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            return output.get("code")
    raise AssertionError("the stream stayed open")


async def still_receives(comm, registrant) -> None:
    await database_sync_to_async(services.registrant_change_status)(
        registrant_id=registrant.pk, to_status="checked_in"
    )
    while True:
        message = await receive_message(comm)
        if message["type"] == "change":
            assert message["registrant"]["id"] == registrant.pk
            return


def _open_then(event, user, change) -> None:
    registrant = make_registrant(event)

    async def scenario():
        comm = communicator(event.pk, user)
        await connect_and_read_snapshot(comm)
        await database_sync_to_async(change)()
        await database_sync_to_async(services.registrant_change_status)(
            registrant_id=registrant.pk, to_status="checked_in"
        )
        assert await closed_with(comm) == 4403
        await comm.disconnect()

    run(scenario)


def test_removing_the_assignment_to_the_event_closes_the_stream():
    event, other = EventFactory(), EventFactory()
    user = make_user("staff-a", "checkin_staff")
    EventAssignment.objects.create(user=user, event=event)
    EventAssignment.objects.create(user=user, event=other)
    _open_then(event, user, lambda: EventAssignment.objects.filter(user=user, event=event).delete())


def test_a_first_assignment_to_another_event_closes_the_stream():
    event, other = EventFactory(), EventFactory()
    user = make_user("staff-b", "viewer")  # no assignment: every event
    _open_then(event, user, lambda: EventAssignment.objects.create(user=user, event=other))


def test_deactivating_the_account_closes_the_stream():
    event = EventFactory()
    user = make_user("staff-c", "checkin_staff")

    def deactivate():
        user.is_active = False
        user.save()

    _open_then(event, user, deactivate)


def test_taking_the_role_away_closes_the_stream():
    event = EventFactory()
    user = make_user("staff-d", "viewer")
    _open_then(event, user, lambda: user.groups.clear())


def test_removing_the_user_from_the_group_by_the_group_closes_the_stream():
    event = EventFactory()
    user = make_user("staff-e", "viewer")
    _open_then(event, user, lambda: Group.objects.get(name="viewer").user_set.remove(user))


def test_the_staff_pages_giving_the_user_another_event_closes_the_stream():
    # staff_update writes the assignments with bulk_create (no post_save).
    event, other = EventFactory(), EventFactory()
    user = make_user("staff-h", "checkin_staff")
    _open_then(
        event,
        user,
        lambda: staff_services.staff_update(user=user, role="checkin_staff", event_ids=[other.pk]),
    )


def test_the_admins_deactivate_action_closes_the_stream():
    # The action deactivates with QuerySet.update() (no post_save).
    event = EventFactory()
    user = make_user("staff-i", "viewer")

    class Admin:
        def message_user(self, *args, **kwargs) -> None:
            pass

    _open_then(
        event,
        user,
        lambda: deactivate_users(Admin(), None, type(user).objects.filter(pk=user.pk)),
    )


def test_changes_that_keep_the_access_keep_the_stream():
    event, other = EventFactory(capacity=10), EventFactory()
    registrant = make_registrant(event)
    user = make_user("staff-f", "viewer")
    colleague = make_user("staff-g", "viewer")
    EventAssignment.objects.create(user=user, event=event)

    def harmless():
        # Another user's assignment, a second event for this one, a role
        # that still reads the event, and a revocation rolled back.
        EventAssignment.objects.create(user=colleague, event=other)
        EventAssignment.objects.create(user=user, event=other)
        user.groups.set([Group.objects.get(name="checkin_staff")])
        with pytest.raises(RuntimeError), transaction.atomic():
            EventAssignment.objects.filter(user=user, event=event).delete()
            raise RuntimeError("roll back")

    async def scenario():
        comm = communicator(event.pk, user)
        await connect_and_read_snapshot(comm)
        await database_sync_to_async(harmless)()
        await still_receives(comm, registrant)
        await comm.disconnect()

    run(scenario)
