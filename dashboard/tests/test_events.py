"""The events list and the event dashboard with its numbers endpoint."""

from __future__ import annotations

import datetime
import json
import zoneinfo

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboard.presenters import dashboard_numbers
from registrants import services
from registrants.models import Source, StatusChange


def test_events_list_shows_seats_taken_of_capacity_and_links(org_web, crowd, event):
    response = org_web.get("/")
    html = response.content.decode()
    # Five registrants, one cancelled: four seats taken.
    assert f"<strong>4</strong> of {event.capacity} seats taken" in html
    assert reverse("dashboard:event_dashboard", args=[event.pk]) in html
    assert reverse("dashboard:registrants", args=[event.pk]) in html
    assert reverse("dashboard:desk", args=[event.pk]) in html


def test_viewer_gets_no_desk_link(viewer_web, crowd, event):
    html = viewer_web.get("/").content.decode()
    assert reverse("dashboard:registrants", args=[event.pk]) in html
    assert reverse("dashboard:desk", args=[event.pk]) not in html


def test_dashboard_page_shows_tiles_feed_and_embedded_numbers(org_web, crowd, event):
    response = org_web.get(reverse("dashboard:event_dashboard", args=[event.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for label in [
        "Registered",
        "Checked in",
        "Entered",
        "Exited",
        "Cancelled",
        "Attendees",
        "On site now",
        "Seats left",
    ]:
        assert f'<span class="tile__label">{label}</span>' in html
    assert 'id="chart-companies"' in html and 'id="chart-occupancy"' in html
    assert "Alan Turing" in html  # in the feed
    assert response["Cache-Control"] == "no-store"
    numbers = response.context["numbers"]
    assert (
        json.loads(
            html.split('id="dashboard-numbers" type="application/json">')[1].split("</script>")[0]
        )["total"]
        == numbers["total"]
        == 5
    )


def test_numbers_json_has_tiles_with_percentages_charts_and_feed(org_web, crowd, event, organiser):
    services.registrant_change_status(
        registrant_id=crowd["ada"].pk,
        to_status="checked_in",
        actor=organiser,
        source=Source.DASHBOARD,
        note="at the desk",
    )
    data = org_web.get(reverse("dashboard:event_numbers", args=[event.pk])).json()
    tiles = {t["key"]: t for t in data["tiles"]}
    assert tiles["checked_in"]["value"] == 2
    assert tiles["checked_in"]["percent"] == 40.0  # 2 of 5 registrations
    assert tiles["attendees"]["value"] == 4
    assert tiles["on_site"]["value"] == 1
    assert tiles["seats_left"]["value"] == event.capacity - 4
    assert data["charts"]["status"]["values"] == [0, 0, 2, 1, 1, 1]
    assert "Analytical Engines" in data["charts"]["companies"]["labels"]
    assert data["charts"]["arrivals"]["values"] and sum(data["charts"]["arrivals"]["values"]) == 4
    newest = data["feed"][0]
    assert newest["registrant"] == "Ada Lovelace"
    assert newest["to_status"] == "checked_in"
    assert newest["actor"] == "olga" and newest["source"] == "Dashboard"
    assert newest["note"] == "at the desk"


def test_feed_keeps_the_latest_fifty(org_web, event):
    from registrants.tests.factories import make_registrant

    for i in range(30):
        make_registrant(event, name=f"Person {i}", status="checked_in")  # 60 changes
    data = org_web.get(reverse("dashboard:event_numbers", args=[event.pk])).json()
    assert len(data["feed"]) == 50
    ids = [item["id"] for item in data["feed"]]
    assert ids == sorted(ids, reverse=True)


def test_companies_chart_sums_the_rest_as_others(org_web, event):
    from registrants.tests.factories import make_registrant

    for i in range(12):
        make_registrant(event, name=f"P{i}", company=f"Company {i:02d}")
    make_registrant(event, name="Solo")
    labels = org_web.get(reverse("dashboard:event_numbers", args=[event.pk])).json()["charts"][
        "companies"
    ]["labels"]
    assert len(labels) == 12
    assert labels[-2] == "Others (2 companies)" and labels[-1] == "No company"


def test_unknown_event_is_a_404_page_and_a_json_404(org_web):
    page = org_web.get(reverse("dashboard:event_dashboard", args=[999999]))
    assert page.status_code == 404
    assert b"This page does not exist" in page.content
    numbers = org_web.get(reverse("dashboard:event_numbers", args=[999999]))
    assert numbers.status_code == 404 and numbers.json()["error"]["code"] == "not_found"


def test_feed_rows_link_each_registrant_and_name_each_actor(org_web, event, organiser):
    from dashboard.presenters import FEED_NO_STATUS
    from registrants.presenters import local_time
    from registrants.tests.factories import make_registrant

    organiser.first_name, organiser.last_name = "Olga", "Ortiz"
    organiser.save()
    alone = make_registrant(event, name="No Company", company=None)
    acme = make_registrant(event, name="Acme Person", company="Acme")
    services.registrant_change_status(
        registrant_id=acme.pk, to_status="checked_in", actor=organiser, source=Source.DASHBOARD
    )
    feed = org_web.get(reverse("dashboard:event_numbers", args=[event.pk])).json()["feed"]
    by_person = {}
    for item in feed:
        by_person.setdefault(item["registrant"], []).append(item)
    for name, registrant in (("No Company", alone), ("Acme Person", acme)):
        for item in by_person[name]:
            assert item["url"] == reverse("dashboard:registrant", args=[registrant.pk])
    assert {i["company"] for i in by_person["No Company"]} == {""}
    assert {i["company"] for i in by_person["Acme Person"]} == {"Acme"}
    checked_in = by_person["Acme Person"][0]
    assert checked_in["to_status"] == "checked_in" and checked_in["actor"] == "Olga Ortiz"
    assert checked_in["time"] == local_time(
        datetime.datetime.fromisoformat(checked_in["at"]), with_date=True
    )
    assert by_person["No Company"][-1]["from_label"] == FEED_NO_STATUS


def test_numbers_read_the_counters_and_the_feed_in_one_round_trip_on_postgresql(
    org_web, crowd, event
):
    """Both statements go to PostgreSQL in one message (selectors.
    event_stats_and_feed); SQLite runs them one by one. Same answer."""
    url = reverse("dashboard:event_numbers", args=[event.pk])
    with CaptureQueriesContext(connection) as queries:
        data = org_web.get(url).json()
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if "registrants_statuscount" in q["sql"] or "registrants_statuschange" in q["sql"]
    ]
    assert len(reads) == (1 if connection.vendor == "postgresql" else 2)
    history = StatusChange.objects.filter(event=event).order_by("-id")
    assert data["total"] == 5
    assert [item["id"] for item in data["feed"]] == [c.pk for c in history]
    assert {item["registrant"] for item in data["feed"]} >= {"Ada Lovelace", "Alan Turing"}


def test_numbers_show_the_events_own_time_zone_whatever_the_request_has_active(crowd, event):
    """dashboard_numbers reads the event's zone with its numbers, so the feed,
    the charts and the clock are the venue's even where no middleware
    activated it (numbers.json)."""
    event.time_zone = "Asia/Tokyo"
    event.save(update_fields=["time_zone"])
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    with timezone.override(zoneinfo.ZoneInfo("America/Los_Angeles")):
        numbers = dashboard_numbers(event.pk)
    assert numbers is not None
    newest = StatusChange.objects.filter(event=event).latest("id")
    assert numbers["feed"][0]["time"] == newest.at.astimezone(tokyo).strftime("%d %b %H:%M")
    generated = datetime.datetime.fromisoformat(numbers["generated_at"])
    assert numbers["generated_time"] == generated.astimezone(tokyo).strftime("%H:%M:%S")
    first_arrival = crowd_first_arrival(event).astimezone(tokyo)
    assert first_arrival.strftime("%H:%M") in " ".join(numbers["charts"]["arrivals"]["labels"])


def crowd_first_arrival(event) -> datetime.datetime:
    """The 15-minute bucket of the event's first check-in."""
    first = StatusChange.objects.filter(event=event, to_status="checked_in").earliest("at").at
    return first.replace(minute=first.minute - first.minute % 15, second=0, microsecond=0)


def test_numbers_json_reads_the_event_once_with_its_numbers(org_web, crowd, event):
    """No time-zone lookup of the event before the numbers (they carry it)."""
    event.time_zone = "Asia/Tokyo"
    event.save(update_fields=["time_zone"])
    url = reverse("dashboard:event_numbers", args=[event.pk])
    with CaptureQueriesContext(connection) as queries:
        data = org_web.get(url).json()
    lookups = [q for q in queries.captured_queries if '"registrants_event"."time_zone"' in q["sql"]]
    assert lookups == []
    newest = StatusChange.objects.filter(event=event).latest("id")
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    assert data["feed"][0]["time"] == newest.at.astimezone(tokyo).strftime("%d %b %H:%M")
