"""The registrant list's rows, written in Python (dashboard/list_rows.py),
are the HTML the previous templates wrote, byte for byte.

dashboard/tests/previous_templates/ holds the row and results partials as
they were before the rows moved to Python. Each test asks the same page
twice, once with those templates in front of the app's, and compares the
answers whole; only the CSRF tokens differ (each rendering masks its own).
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from registrants import services
from registrants.lifecycle import Status
from registrants.models import GuestType, Registrant
from registrants.tests.factories import EventFactory, make_registrant

from .conftest import logged_in

PREVIOUS = Path(__file__).parent / "previous_templates"
_CSRF = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[A-Za-z0-9]+')


def _previous_templates() -> override_settings:
    """The app's template settings with the previous partials loaded first."""
    partials = {
        f"dashboard/partials/{name}": (PREVIOUS / name).read_text()
        for name in ("registrant_row.html", "registrant_results.html")
    }
    base = settings.TEMPLATES[0]
    return override_settings(
        TEMPLATES=[
            {
                **base,
                "APP_DIRS": False,
                "OPTIONS": {
                    **base["OPTIONS"],
                    "loaders": [
                        ("django.template.loaders.locmem.Loader", partials),
                        "django.template.loaders.filesystem.Loader",
                        "django.template.loaders.app_directories.Loader",
                    ],
                },
            }
        ]
    )


def _html(response) -> str:
    return _CSRF.sub(r"\1-", response.content.decode())


def _both(ask) -> tuple[str, str]:
    """(this code's answer, the previous templates' answer) to `ask()`."""
    now = ask()
    with _previous_templates():
        before = ask()
    assert now.status_code == before.status_code
    return _html(now), _html(before)


@pytest.fixture
def people(db):
    """Every status, with and without a company, odd characters, an empty
    email, an erased registrant, the same email twice; an event away from UTC."""
    event = EventFactory(time_zone="America/Los_Angeles")
    made = [
        make_registrant(
            event,
            name=f'Person {status} <b>&"O\'Brien"</b>',
            email=f"p-{status}@example.com",
            company="Smith & Sons <Ltd>" if i % 2 else None,
            guest_type=GuestType.SPEAKER if i % 3 else GuestType.ATTENDEE,
            status=status,
        )
        for i, status in enumerate(Status)
    ]
    twin = make_registrant(event, name="Twin One", email="twin@example.com")
    make_registrant(event, name="Twin Two", email="twin@example.com", company="García")
    Registrant.objects.filter(pk=made[1].pk).update(email="")
    gone = make_registrant(event, name="Gone Person", email="gone@example.com")
    services.registrant_delete(registrant_id=gone.pk, actor=None)
    return {"event": event, "made": made, "twin": twin}


QUERIES = [
    "",
    "search=o%27brien",
    "search=garcia",
    "status=registered",
    "status=registered&status=cancelled&search=person",
    "status=entered&search=%3Cb%3E",
    "ordering=-created_at",
    "count=1",
    "next=%22%3E%3Cscript%3E",
]


@pytest.mark.parametrize("role", ["organiser", "staff", "viewer"])
@pytest.mark.parametrize("query", QUERIES)
def test_the_list_page_is_the_previous_html(web_for, people, role, query):
    web = web_for[role]
    url = reverse("dashboard:registrants", args=[people["event"].pk]) + "?" + query
    now, before = _both(lambda: web.get(url))
    assert 'class="col-name"' in now
    assert now == before


@pytest.mark.parametrize("role", ["organiser", "staff", "viewer"])
@pytest.mark.parametrize("query", ["", "search=person&status=checked_in", "search=nobody"])
def test_the_results_fragment_is_the_previous_html(web_for, people, role, query):
    web = web_for[role]
    url = reverse("dashboard:registrants", args=[people["event"].pk]) + "?" + query
    now, before = _both(lambda: web.get(url, HTTP_HX_REQUEST="true"))
    assert now == before


@pytest.mark.parametrize("role", ["organiser", "staff", "viewer"])
@pytest.mark.parametrize("next_url", [None, "/events/1/registrants/?search=a&status=b", "//evil"])
def test_the_live_lists_row_is_the_previous_html(web_for, people, role, next_url):
    web = web_for[role]
    params = {"next": next_url} if next_url else {}
    for registrant in [*people["made"], people["twin"]]:
        url = reverse("dashboard:registrant_row", args=[registrant.pk])
        now, before = _both(lambda url=url: web.get(url, params))
        assert f'id="row-{registrant.pk}"' in now
        assert now == before


def test_a_row_actions_answers_are_the_previous_html(organiser, staff, people):
    org, desk = logged_in(organiser), logged_in(staff)
    registered = next(r for r in people["made"] if r.status == Status.REGISTERED)
    url = reverse("dashboard:registrant_transition", args=[registered.pk])

    def post(web, to_status, **extra):
        data = {"to_status": to_status, "context": "row", **extra}
        return lambda: web.post(url, data, HTTP_HX_REQUEST="true")

    org.post(url, {"to_status": "checked_in", "context": "row"}, HTTP_HX_REQUEST="true")
    answers = [
        _both(post(org, "checked_in", next="/events/1/registrants/?status=checked_in")),  # notice
        _both(post(org, "exited")),  # refused: an error in the row
        _both(post(desk, "cancelled", next="//evil")),  # the role may not
        _both(post(org, "bogus")),  # an invalid form
    ]
    for now, before in answers:
        assert 'class="row-message' in now
        assert now == before


def test_the_lists_times_are_the_events_local_times(org_web, people):
    """The list's view activates the event's zone itself (the middleware
    leaves this page to it): a time of 20:30 UTC in January is 12:30 in
    Los Angeles."""
    someone = people["made"][0]
    Registrant.objects.filter(pk=someone.pk).update(
        created_at=datetime.datetime(2026, 1, 15, 20, 30, tzinfo=datetime.UTC)
    )
    url = reverse("dashboard:registrants", args=[people["event"].pk])
    for query in ("", "search=waitlisted"):
        html = org_web.get(f"{url}?{query}").content.decode()
        assert '<time datetime="2026-01-15T12:30:00-08:00">15 Jan 12:30</time>' in html
