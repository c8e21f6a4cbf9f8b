"""An import's rows are found by the search at once: on SQLite its final
step indexes them in one statement (search_index.bulk_insert) instead of
the insert trigger, and leaves the trigger on for every write after it."""

from __future__ import annotations

import pytest
from django.db import connection

from conftest import client_for
from imports import services
from registrants import search_index
from registrants.tests.factories import EventFactory, make_registrant
from registrants.tests.invariants import assert_invariants

from .conftest import csv_bytes, upload_file

pytestmark = pytest.mark.django_db


def _names(user, event, term: str) -> list[str]:
    response = client_for(user).get("/api/v1/registrants/", {"search": term, "event": event.pk})
    assert response.status_code == 200
    return [row["name"] for row in response.json()["results"]]


def test_imported_people_are_found_by_the_search(organiser):
    event = EventFactory(capacity=100)
    make_registrant(event, name="Before Import")
    rows = [
        ("Zoë Ångström", "zoe@cafe.example", "Nestlé", "attendee"),
        ("Łukasz García", "LUKASZ@Example.org", "", "attendee"),
    ]
    job = services.import_job_create(
        event_id=event.pk, upload=upload_file(csv_bytes(rows)), actor=organiser,
        mode="all_or_nothing", force=False,
    )  # fmt: skip
    services.import_job_run(job_id=job.pk)
    assert _names(organiser, event, "zoe angs") == ["Zoë Ångström"]
    assert _names(organiser, event, "lukasz@example") == ["Łukasz García"]
    make_registrant(event, name="After Import")
    assert _names(organiser, event, "after imp") == ["After Import"]
    assert _names(organiser, event, "before imp") == ["Before Import"]
    assert_invariants()  # the index holds every row (on SQLite)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {search_index.BULK}")  # noqa: S608
            assert cursor.fetchone() == (0,)
