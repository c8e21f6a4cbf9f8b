"""factory_boy factories. Registrants are created through the service so that
every one has its creation history row, as in real life."""

from __future__ import annotations

import contextlib
import datetime
from unittest import mock

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from registrants import services
from registrants.models import Company, Event, GuestType, Registrant
from registrants.normalization import normalize_company_name
from registrants.roles import sync_role_groups


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    name = factory.Sequence(lambda n: f"Event {n}")
    date = factory.LazyFunction(lambda: datetime.date(2026, 12, 1))
    capacity = 1000


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company
        django_get_or_create = ("normalized_name",)

    name = factory.Sequence(lambda n: f"Company {n}")
    normalized_name = factory.LazyAttribute(lambda o: normalize_company_name(o.name))


def make_registrant(
    event: Event | None = None,
    *,
    name: str = "Ada Lovelace",
    email: str | None = None,
    company: str | None = None,
    guest_type: str = GuestType.ATTENDEE,
    status: str | None = None,
    actor=None,
) -> Registrant:
    """Register someone and, if asked, walk them to `status` through the
    service (so the history chain is real)."""
    from registrants.lifecycle import Status

    event = event or EventFactory()
    make_registrant.counter += 1
    # A waitlisted registrant joins while the event is full: the seat count
    # says so for this one registration, whatever the event holds.
    full = (
        mock.patch.object(services.common, "seats_held", lambda **kw: event.capacity)
        if status == Status.WAITLISTED
        else contextlib.nullcontext()
    )
    with full:
        registrant = services.registrant_register(
            event_id=event.pk,
            name=name,
            email=email or f"person{make_registrant.counter}@example.com",
            company_name=company,
            guest_type=guest_type,
            actor=actor,
            join_waitlist=status == Status.WAITLISTED,
        )
    paths = {
        Status.WAITLISTED: [],
        None: [],
        Status.REGISTERED: [],
        Status.CHECKED_IN: [Status.CHECKED_IN],
        Status.ENTERED: [Status.CHECKED_IN, Status.ENTERED],
        Status.EXITED: [Status.CHECKED_IN, Status.ENTERED, Status.EXITED],
        Status.CANCELLED: [Status.CANCELLED],
    }
    for step in paths[status]:
        services.registrant_change_status(registrant_id=registrant.pk, to_status=step, actor=actor)
    registrant.refresh_from_db()
    return registrant


make_registrant.counter = 0


PASSWORD = "pw-for-tests-1"  # every test user's, unless a test says otherwise


def make_user(username: str, role: str | None, *, password: str = PASSWORD):
    """A user in one role (or none, for a logged-in user without a role)."""
    user = get_user_model().objects.create_user(username=username, password=password)
    if role:
        if not Group.objects.filter(name=role).exists():
            # transactional_db flushes the tables after each test, taking the
            # groups that the data migration created with them.
            sync_role_groups()
        user.groups.add(Group.objects.get(name=role))
    return user
