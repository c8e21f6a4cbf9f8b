"""Fixtures for the page tests: logged-in clients per role and a small crowd."""

from __future__ import annotations

import pytest
from django.test import Client

from registrants.lifecycle import Status
from registrants.models import GuestType
from registrants.tests.factories import EventFactory, make_registrant, make_user


def logged_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


@pytest.fixture
def org_web(organiser):
    return logged_in(organiser)


@pytest.fixture
def staff_web(staff):
    return logged_in(staff)


@pytest.fixture
def viewer_web(viewer):
    return logged_in(viewer)


@pytest.fixture
def nobody_web(db):
    """Logged in, but in no role."""
    return logged_in(make_user("nemo", None))


@pytest.fixture
def anon_web():
    return Client()


@pytest.fixture
def web_for(org_web, staff_web, viewer_web, nobody_web, anon_web):
    return {
        "organiser": org_web,
        "staff": staff_web,
        "viewer": viewer_web,
        "nobody": nobody_web,
        "anonymous": anon_web,
    }


ROLES = ("organiser", "staff", "viewer", "nobody", "anonymous")


def json_access(*readers: str) -> pytest.MarkDecorator:
    """Parametrize (role, expected) over every web_for role for a JSON
    endpoint that `readers` may read: 200 for them, 401 for anonymous (a
    script gets no login redirect), 403 for everyone else."""
    return pytest.mark.parametrize(
        "role,expected",
        [(r, 200 if r in readers else 401 if r == "anonymous" else 403) for r in ROLES],
    )


@pytest.fixture
def crowd(event):
    """One registrant per status, plus a second event's registrant."""
    people = {
        "ada": make_registrant(
            event,
            name="Ada Lovelace",
            email="ada@example.com",
            company="Analytical Engines",
            guest_type=GuestType.SPEAKER,
        ),
        "grace": make_registrant(
            event,
            name="Grace Hopper",
            email="grace@example.com",
            company="Navy",
            status=Status.CHECKED_IN,
        ),
        "alan": make_registrant(
            event,
            name="Alan Turing",
            email="alan@example.com",
            company="Bletchley",
            status=Status.ENTERED,
        ),
        "linus": make_registrant(
            event, name="Linus Torvalds", email="linus@example.com", status=Status.EXITED
        ),
        "ken": make_registrant(
            event,
            name="Ken Thompson",
            email="ken@example.com",
            company="Bell Labs",
            status=Status.CANCELLED,
        ),
    }
    people["other"] = make_registrant(EventFactory(name="Other event"), name="Otto Other")
    return people
