"""Browser tests: Debian's Chromium driven by pytest-playwright against
pytest-django's live_server (WSGI), or against uvicorn for the live pages
(websockets; test_live.py). Never downloads a browser.

On SQLite the test database is a file here, so that a uvicorn process can
open the same database as the test."""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from unittest import mock

import pytest
from django.db import connections
from django.utils import timezone

from registrants import services
from registrants.lifecycle import Status
from registrants.models import GuestType, Source
from registrants.tests.factories import PASSWORD, EventFactory
from testing.servers import use_a_file_for_the_sqlite_test_db

CHROMIUM = "/usr/bin/chromium"
LAPTOP = {"width": 1366, "height": 768}
TABLET = {"width": 768, "height": 1024}
SCREENSHOTS = Path(os.environ.get("TEST_ARTIFACTS", "test-artifacts")) / "screenshots"


def pytest_configure(config):
    use_a_file_for_the_sqlite_test_db()


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_beside_playwright():
    """pytest-playwright runs an event loop in the test thread, and the ORM
    calls the tests make to set up data are plain synchronous calls, which
    Django's async-safety check would refuse. Switch the check off only
    while browser tests run: a module-level switch would turn it off for
    every test collected with this file (the gateway's and live's too),
    hiding the very bug class they must catch."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(autouse=True)
def _close_connections_after_each_request(transactional_db):
    """The live server answers each request in a new thread; with persistent
    connections (CONN_MAX_AGE) those threads would leave sessions open and
    block dropping the test database. Close them at the end of each request."""
    db_settings = connections.settings["default"]
    kept = db_settings.get("CONN_MAX_AGE", 0)
    db_settings["CONN_MAX_AGE"] = 0
    yield
    db_settings["CONN_MAX_AGE"] = kept


@pytest.fixture
def users(organiser, staff, viewer):
    """The root conftest's user per role, by role name (their password is
    factories.PASSWORD). Every test here is transactional (the autouse
    fixture above); make_user recreates the role groups that a transactional
    test's flush removes."""
    return {"organiser": organiser, "staff": staff, "viewer": viewer}


@pytest.fixture
def conference(users):
    """An event with people in every status, their changes spread over an hour
    so that the arrivals and occupancy charts have a shape."""
    event = EventFactory(name="Venue Day", capacity=120)
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - datetime.timedelta(hours=2)
    staff = users["staff"]
    people = {}
    plan = [
        ("Ada Lovelace", "Analytical Engines", GuestType.SPEAKER, []),
        ("Grace Hopper", "Navy", GuestType.VIP, [Status.CHECKED_IN]),
        ("Alan Turing", "Bletchley", GuestType.ATTENDEE, [Status.CHECKED_IN, Status.ENTERED]),
        (
            "Linus Torvalds",
            None,
            GuestType.PRESS,
            [Status.CHECKED_IN, Status.ENTERED, Status.EXITED],
        ),
        ("Ken Thompson", "Bell Labs", GuestType.SPONSOR, [Status.CANCELLED]),
        ("Barbara Liskov", "MIT", GuestType.SPEAKER, [Status.CHECKED_IN, Status.ENTERED]),
        ("Margaret Hamilton", "NASA", GuestType.ATTENDEE, [Status.CHECKED_IN]),
        ("Katherine Johnson", "NASA", GuestType.ATTENDEE, [Status.CHECKED_IN, Status.ENTERED]),
        ("Dennis Ritchie", "Bell Labs", GuestType.EXHIBITOR, []),
        ("Radia Perlman", "DEC", GuestType.ATTENDEE, [Status.CHECKED_IN, Status.ENTERED]),
        ("Frances Allen", "IBM", GuestType.STAFF, []),
    ]
    for i, (name, company, guest_type, steps) in enumerate(plan):
        at = start + datetime.timedelta(minutes=9 * i)
        with mock.patch("django.utils.timezone.now", return_value=at):
            person = services.registrant_register(
                event_id=event.pk,
                name=name,
                email=f"{name.split()[0].lower()}{i}@example.com",
                company_name=company,
                guest_type=guest_type,
                source=Source.IMPORT,
            )
        for j, step in enumerate(steps):
            with mock.patch(
                "django.utils.timezone.now",
                return_value=at + datetime.timedelta(minutes=20 + 7 * j),
            ):
                services.registrant_change_status(
                    registrant_id=person.pk,
                    to_status=step,
                    actor=staff,
                    source=Source.SCAN,
                )
        person.refresh_from_db()
        people[name.split()[0].lower()] = person
    people["event"] = event
    return people


def logged_in_pages(browser, base_url: str, users: dict):
    """For a fixture to `yield from`: open(role, path, viewport) -> a page of
    its own browser context, logged in as users[role] through the login
    form of the server at base_url, at `path`. The contexts close after,
    and a Content-Security-Policy violation on any of their pages fails
    the test (the policy must not break a page's scripts)."""
    contexts = []
    violations: list[str] = []

    def _record(message) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    def _open(role: str, path: str, viewport: dict | None = None):
        context = browser.new_context(viewport=viewport or LAPTOP, base_url=base_url)
        context.set_default_timeout(10_000)
        context.on("console", _record)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login/?next=" + path)
        page.get_by_label("Username").fill(users[role].username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(base_url + path)
        return page

    yield _open
    for context in contexts:
        context.close()
    assert violations == []


@pytest.fixture
def open_as(browser, live_server, users):
    """open_as(role, path, viewport) -> a logged-in page at `path` (WSGI live_server)."""
    yield from logged_in_pages(browser, live_server.url, users)


@pytest.fixture
def shoot():
    """shoot(page, name): a full-page PNG under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _shoot(page, name: str) -> Path:
        size = page.viewport_size
        path = SCREENSHOTS / f"{name}-{size['width']}x{size['height']}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shoot
