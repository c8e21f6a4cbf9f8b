"""Retention: an event's registrants are erased retention_days after its date
by `manage.py erase_expired` and the Celery beat task, through the erasure
(history and every past figure unchanged), audited as the system. The event
form and the API set it (organisers). Both databases."""

from __future__ import annotations

import datetime
import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from audit.models import Action, AuditEntry
from conftest import client_for
from registrants.erasure import ERASED_NAME
from registrants.models import Registrant, StatusChange
from registrants.retention import erase_expired, expired_events
from registrants.tests.factories import EventFactory, make_registrant

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()
FIGURES = ("total", "attendees", "on_site", "seats_left", "by_status", "by_guest_type")
FIGURES += ("arrivals", "occupancy")


def _event(days_ago: int, retention: int | None):
    event = EventFactory(date=TODAY - datetime.timedelta(days=days_ago), retention_days=retention)
    for name, status in [("Ada", "entered"), ("Bob", "exited"), ("Cy", "cancelled"), ("Di", None)]:
        make_registrant(event, name=f"{name} {event.pk}", company="Acme", status=status)
    return event


def _stats(client, event) -> dict:
    body = client.get(f"/api/v1/events/{event.pk}/stats/").json()
    return {k: body[k] for k in FIGURES}


def test_expired_events_are_erased_and_every_past_figure_stays(org_client):
    expired, kept, forever = _event(40, 30), _event(10, 30), _event(400, None)
    before = {e.pk: _stats(org_client, e) for e in (expired, kept, forever)}
    history = list(StatusChange.objects.filter(event_id=expired.pk).order_by("id").values())
    out = io.StringIO()
    call_command("erase_expired", stdout=out)
    assert f"event {expired.pk}: 4 registrants erased" in out.getvalue()
    assert set(Registrant.objects.filter(event=expired).values_list("name", flat=True)) == {
        ERASED_NAME
    }
    for event in (kept, forever):
        assert not Registrant.objects.filter(event=event, erased_at__isnull=False).exists()
    assert {e.pk: _stats(org_client, e) for e in (expired, kept, forever)} == before
    assert list(StatusChange.objects.filter(event_id=expired.pk).order_by("id").values()) == history


def test_each_retention_erasure_is_audited_as_the_system(db):
    event = _event(40, 30)
    erase_expired()
    rows = AuditEntry.objects.filter(action=Action.REGISTRANT_ERASED)
    assert rows.count() == 4
    assert set(rows.values_list("actor_id", "actor_name", "event_id")) == {
        (None, "system", event.pk)
    }
    assert {r.details["reason"] for r in rows} == {"retention"}


def test_a_second_run_erases_nothing_more(db):
    event = _event(40, 30)
    assert [(d.event_id, d.erased) for d in erase_expired()] == [(event.pk, 4)]
    assert [(d.event_id, d.erased) for d in erase_expired()] == [(event.pk, 0)]
    assert AuditEntry.objects.count() == 4


@pytest.mark.parametrize(
    ("days_ago", "retention", "due"), [(30, 30, False), (31, 30, True), (1, 0, True), (0, 0, False)]
)
def test_the_last_kept_day_is_date_plus_retention_in_the_events_zone(db, days_ago, retention, due):
    event = EventFactory(date=TODAY - datetime.timedelta(days=days_ago), retention_days=retention)
    # Noon in the event's zone on the real today: no zone edge in the way.
    now = datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=datetime.UTC)
    event.time_zone = "UTC"
    event.save()
    assert (event in expired_events(now)) is due


def test_the_dry_run_lists_and_erases_nothing(db):
    event = _event(40, 30)
    out = io.StringIO()
    call_command("erase_expired", "--dry-run", stdout=out)
    assert f"event {event.pk}: expired" in out.getvalue()
    assert not Registrant.objects.filter(erased_at__isnull=False).exists()


def test_beat_runs_the_task_hourly(db):
    from config.celery_app import app

    entry = settings.CELERY_BEAT_SCHEDULE["erase-expired-registrants"]
    assert entry["task"] == "registrants.erase_expired"
    app.loader.import_default_modules()
    event = _event(40, 30)
    assert app.tasks["registrants.erase_expired"].apply().get() == 4
    assert not Registrant.objects.filter(event=event, erased_at__isnull=True).exists()


# --- Setting it ----------------------------------------------------------------


def test_organisers_set_and_clear_the_retention_through_the_api(org_client, event):
    url = f"/api/v1/events/{event.pk}/"
    assert org_client.get(url).json()["retention_days"] is None
    answer = org_client.patch(url, {"retention_days": 30}, format="json")
    assert answer.status_code == 200 and answer.json()["retention_days"] == 30
    assert org_client.patch(url, {"name": "Renamed"}, format="json").json()["retention_days"] == 30
    assert (
        org_client.patch(url, {"retention_days": None}, format="json").json()["retention_days"]
        is None
    )
    created = org_client.post(
        "/api/v1/events/",
        {"name": "E", "date": "2027-01-01", "capacity": 5, "retention_days": 0},
        format="json",
    )
    assert created.status_code == 201 and created.json()["retention_days"] == 0


@pytest.mark.parametrize("value", [-1, 36501, "soon", True, 1.5])
def test_a_bad_retention_is_a_400(org_client, event, value):
    answer = org_client.patch(
        f"/api/v1/events/{event.pk}/", {"retention_days": value}, format="json"
    )
    assert answer.status_code == 400
    assert "retention_days" in answer.json()["error"]["fields"]


def test_viewers_may_not_set_it(viewer, event):
    answer = client_for(viewer).patch(
        f"/api/v1/events/{event.pk}/", {"retention_days": 1}, format="json"
    )
    assert answer.status_code == 403


def test_the_event_form_sets_and_clears_it(organiser, event):
    web = Client()
    web.force_login(organiser)
    form = {
        "name": event.name,
        "date": event.date.isoformat(),
        "capacity": event.capacity,
        "time_zone": event.time_zone,
        "door_modes": event.door_modes,
    }
    page = web.get(f"/events/{event.pk}/edit/")
    assert 'name="retention_days"' in page.content.decode()
    assert (
        web.post(f"/events/{event.pk}/edit/", {**form, "retention_days": "90"}).status_code == 302
    )
    event.refresh_from_db()
    assert event.retention_days == 90
    assert web.post(f"/events/{event.pk}/edit/", {**form, "retention_days": ""}).status_code == 302
    event.refresh_from_db()
    assert event.retention_days is None
    assert (
        web.post(f"/events/{event.pk}/edit/", {**form, "retention_days": "-3"}).status_code == 400
    )
