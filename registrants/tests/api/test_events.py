"""Events CRUD and stats."""

from __future__ import annotations

from registrants.models import Event
from registrants.tests.factories import EventFactory, make_registrant
from registrants.tests.invariants import fresh_status_counts

from .conftest import assert_error


def test_create_read_update_delete(org_client):
    response = org_client.post(
        "/api/v1/events/", {"name": "Conf", "date": "2027-03-04", "capacity": 10}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (
        body["name"],
        body["date"],
        body["capacity"],
        body["seats_taken"],
        body["seats_left"],
    ) == ("Conf", "2027-03-04", 10, 0, 10)
    pk = body["id"]
    assert org_client.get(f"/api/v1/events/{pk}/").json()["name"] == "Conf"
    patched = org_client.patch(
        f"/api/v1/events/{pk}/", {"capacity": 20, "name": "Conf 2"}, format="json"
    ).json()
    assert (patched["capacity"], patched["name"]) == (20, "Conf 2")
    assert org_client.delete(f"/api/v1/events/{pk}/").status_code == 204
    assert not Event.objects.filter(pk=pk).exists()


def test_patch_read_only_field_refused(org_client, event):
    response = org_client.patch(
        f"/api/v1/events/{event.pk}/", {"seats_taken": 3, "name": "Z"}, format="json"
    )
    assert_error(response, 400, "validation_error")
    event.refresh_from_db()
    assert event.name != "Z"


def test_list_is_paginated(org_client):
    for _ in range(3):
        EventFactory()
    body = org_client.get("/api/v1/events/?page_size=2").json()
    assert len(body["results"]) == 2 and body["next"]
    rest = org_client.get(body["next"]).json()
    assert len(rest["results"]) == 1


def test_lowering_capacity_to_seats_taken_is_fine(org_client):
    event = EventFactory(capacity=5)
    make_registrant(event)
    make_registrant(event, status="cancelled")
    response = org_client.patch(f"/api/v1/events/{event.pk}/", {"capacity": 1}, format="json")
    assert response.status_code == 200
    assert response.json()["seats_left"] == 0


def test_stats_equal_fresh_sql(viewer_client, data, django_assert_max_num_queries):
    event = data["event"]
    make_registrant(event, name="Vip", guest_type="vip", status="entered")
    with django_assert_max_num_queries(12):
        response = viewer_client.get(f"/api/v1/events/{event.pk}/stats/")
    assert response.status_code == 200
    stats = response.json()
    counts = fresh_status_counts(event.pk)
    assert stats["by_status"] == counts
    assert stats["total"] == sum(counts.values())
    assert stats["attendees"] == stats["total"] - counts["cancelled"]
    assert stats["on_site"] == counts["entered"]
    assert stats["capacity"] == event.capacity
    assert stats["seats_left"] == event.capacity - stats["attendees"]
    assert stats["by_guest_type"]["vip"] == 1
    assert sum(stats["by_guest_type"].values()) == stats["attendees"]
    assert stats["companies"]["top"][0]["name"] == "Acme"
    assert stats["companies"]["top"][0]["count"] == 4  # Acme registrants not cancelled
    assert sum(b["count"] for b in stats["arrivals"]) == 4  # everyone ever checked in
    assert stats["occupancy"][-1]["inside"] == counts["entered"]


def test_stats_of_empty_event(org_client, event):
    stats = org_client.get(f"/api/v1/events/{event.pk}/stats/").json()
    assert stats["by_status"] == {
        s: 0 for s in ("waitlisted", "registered", "checked_in", "entered", "exited", "cancelled")
    }
    assert stats["arrivals"] == [] and stats["occupancy"] == []
