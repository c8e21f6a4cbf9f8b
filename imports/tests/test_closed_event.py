"""A closed event takes no import (docs/decisions/0101), on both databases'
import paths (SQLite stages its rows; PostgreSQL inserts them in batches)."""

from __future__ import annotations

import pytest

from registrants.models import Registrant
from registrants.tests.factories import EventFactory

from .conftest import csv_bytes, people
from .test_services import run

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("mode", ["all_or_nothing", "valid_rows"])
def test_an_import_into_a_closed_event_fails_saying_it_is_closed(organiser, mode):
    event = EventFactory(capacity=100, closed=True)
    job = run(event, csv_bytes(people(3)), organiser, mode=mode)
    assert job.state == "failed"
    assert "is closed: it takes no new registrations" in job.message
    assert not Registrant.objects.filter(event=event).exists()
