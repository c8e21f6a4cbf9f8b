"""The stats endpoint's body and its reads: the body is built without the
serializer (registrants/api/stats_json.py) and must stay what the
serializer, the schema's source, writes; the live figures read the event
with its numbers in one statement."""

from __future__ import annotations

import datetime
import json

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from registrants import history_as_of, selectors
from registrants.api.serializers import EventStatsSerializer
from registrants.api.stats_json import stats_representation
from registrants.tests.factories import make_registrant

from .conftest import assert_error


def _as_json(data) -> object:
    return json.loads(JSONRenderer().render(data))


def test_the_body_is_what_the_serializer_writes(data):
    event = data["event"]
    make_registrant(event, name="Vip", guest_type="vip", status="entered", company="Globex")
    live = {**selectors.event_stats(event=event), "as_of": None}
    assert live["arrivals"] and live["occupancy"] and live["companies"]["top"]
    past = history_as_of.event_stats_as_of(
        event=event, at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert past["as_of"] is not None
    # The deployment's zone, one east of UTC by a fraction, and UTC ("Z").
    for zone in (None, "Asia/Kolkata", "UTC"):
        with timezone.override(zone or timezone.get_default_timezone()):
            assert stats_representation(live) == EventStatsSerializer(live).data
            assert stats_representation(past) == EventStatsSerializer(past).data
    with timezone.override("Asia/Kolkata"):
        assert stats_representation(live)["generated_at"].endswith("+05:30")


def test_the_endpoint_answers_the_serializers_json(org_client, data):
    event = data["event"]
    body = org_client.get(f"/api/v1/events/{event.pk}/stats/").json()
    expected = _as_json(
        EventStatsSerializer({**selectors.event_stats(event=event), "as_of": None}).data
    )
    body.pop("generated_at"), expected.pop("generated_at")
    assert body == expected


def test_live_stats_read_the_event_with_its_numbers(organiser, data):
    client = Client()
    client.force_login(organiser)
    event = data["event"]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/events/{event.pk}/stats/")
    assert response.status_code == 200 and response.json()["capacity"] == event.capacity
    sql = [q["sql"] for q in queries.captured_queries]
    sessions = [s for s in sql if "django_session" in s]
    # With Redis the session comes from it (cached_db), else from its table.
    assert len(sessions) == (0 if settings.REDIS_URL else 1), sql
    rest = [s for s in sql if "django_session" not in s]
    assert len(rest) == 2, rest  # the user with their permissions; the numbers with the event
    assert "registrants_statuscount" in rest[1] and "registrants_event" in rest[1]


def test_stats_of_an_event_that_does_not_exist_are_a_404(org_client, data):
    assert_error(org_client.get("/api/v1/events/987654321/stats/"), 404, "not_found")
    at = (timezone.now() - datetime.timedelta(hours=1)).isoformat()
    response = org_client.get("/api/v1/events/987654321/stats/", {"at": at})
    assert_error(response, 404, "not_found")
