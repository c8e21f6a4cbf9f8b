"""The event counters (registrants/counters): the numbers read them, not the
event's rows, and every writer keeps them equal to a recount, on both
databases."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from registrants import selectors, services
from registrants.counters import recount
from registrants.erasure import registrant_erase
from registrants.lifecycle import SEAT_HOLDING, Status
from registrants.models import (
    BucketCount,
    Event,
    GuestType,
    Registrant,
    Source,
    StatusChange,
    StatusCount,
)
from registrants.purge import registrant_purge
from registrants.services.imports import ImportedRegistrant
from registrants.tests.factories import make_registrant
from registrants.tests.invariants import fresh_status_counts

pytestmark = pytest.mark.django_db

REGISTRANTS = Registrant._meta.db_table
HISTORY = StatusChange._meta.db_table


def _assert_exact(event: Event) -> None:
    assert recount.differences(event.pk) == {}
    stats = selectors.event_stats(event=event)
    assert stats["by_status"] == fresh_status_counts(event.pk)
    holders = Registrant.objects.filter(event=event, status__in=SEAT_HOLDING)
    companies = stats["companies"]
    assert len(companies["top"]) + companies["others_companies"] == (
        holders.exclude(company=None).values("company").distinct().count()
    )
    assert (
        services.seats_taken(event_id=event.pk)
        == Registrant.objects.filter(event=event, status__in=SEAT_HOLDING).count()
    )


def test_the_numbers_read_no_registrant_row_and_no_history_series(event):
    for status in Status:
        make_registrant(event, status=status, company="Acme")
    with CaptureQueriesContext(connection) as captured:
        selectors.event_stats(event=event)
        selectors.event_counts(event_id=event.pk)
        services.seats_taken(event_id=event.pk)
        list(selectors.event_list())
    statements = [q["sql"] for q in captured.captured_queries]
    assert not [s for s in statements if REGISTRANTS in s]
    # The history is read for its newest id only: no series grouped from it.
    assert not [s for s in statements if HISTORY in s and "to_status" in s]


def test_stats_from_the_counters(event):
    for n, status in enumerate([*Status, Status.ENTERED, Status.CANCELLED]):
        make_registrant(
            event,
            status=status,
            company=["Acme", "Globex", None][n % 3],
            guest_type=GuestType.SPEAKER if n % 2 else GuestType.ATTENDEE,
        )
    stats = selectors.event_stats(event=event, top_companies=1)
    holders = Registrant.objects.filter(event=event, status__in=SEAT_HOLDING)
    assert stats["total"] == Registrant.objects.filter(event=event).count()
    assert stats["attendees"] == holders.count()
    assert stats["on_site"] == holders.filter(status=Status.ENTERED).count()
    assert stats["seats_left"] == event.capacity - holders.count()
    assert (
        stats["by_guest_type"][GuestType.SPEAKER]
        == holders.filter(guest_type=GuestType.SPEAKER).count()
    )
    companies = stats["companies"]
    named = holders.exclude(company=None)
    assert len(companies["top"]) == 1
    assert companies["top"][0]["count"] + companies["others"] == named.count()
    assert companies["others_companies"] == 1
    assert companies["no_company"] == holders.filter(company=None).count()
    checked_in = StatusChange.objects.filter(event=event, to_status=Status.CHECKED_IN)
    assert sum(a["count"] for a in stats["arrivals"]) == (
        checked_in.values("registrant").distinct().count()
    )
    _assert_exact(event)


def test_every_writer_keeps_the_counters_exact(event, organiser):
    people = [
        make_registrant(event, company=["Acme", "Globex", None][n % 3], status=status)
        for n, status in enumerate([Status.REGISTERED, Status.CHECKED_IN, Status.ENTERED] * 3)
    ]
    _assert_exact(event)
    services.registrant_scan(code=people[0].check_in_code, mode="entry", event_id=event.pk)
    services.registrant_change_status(registrant_id=people[1].pk, to_status=Status.CANCELLED)
    services.registrant_change_status(registrant_id=people[1].pk, to_status=Status.REGISTERED)
    services.registrants_bulk_change_status(
        registrant_ids=[p.pk for p in people[3:6]], to_status=Status.CANCELLED
    )
    _assert_exact(event)
    services.registrant_update(
        registrant_id=people[2].pk, guest_type=GuestType.PRESS, company_name="Initech"
    )
    acme = people[0].company
    globex = people[1].company
    services.company_merge(source_id=acme.pk, into_id=globex.pk)
    _assert_exact(event)
    services.registrants_import_batch(
        event_id=event.pk,
        rows=[ImportedRegistrant(row=i, name=f"I {i}", email=f"i{i}@example.com",
                                 guest_type=GuestType.STAFF, company="Globex")
              for i in range(5)],
        expected=None, actor=organiser, marker="import-1", all_or_nothing=True,
    )  # fmt: skip
    _assert_exact(event)
    registrant_erase(registrant_id=people[4].pk)
    registrant_purge(registrant_id=people[4].pk)
    services.registrants_delete(registrant_ids=[people[7].pk])
    _assert_exact(event)


def _history(registrant: Registrant, to_status: str, at: datetime.datetime, frm: str) -> None:
    StatusChange.objects.create(
        registrant=registrant, event_id=registrant.event_id, from_status=frm,
        to_status=to_status, at=at, source=Source.SYSTEM,
    )  # fmt: skip


def test_an_earlier_check_in_moves_the_arrival_and_the_purge_moves_it_back(event):
    person = make_registrant(event)
    noon = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)
    _history(person, Status.CHECKED_IN, noon, Status.REGISTERED)
    assert [a["start"] for a in selectors.event_stats(event=event)["arrivals"]] == [noon]
    _history(person, Status.CHECKED_IN, noon - datetime.timedelta(hours=1), Status.REGISTERED)
    arrivals = selectors.event_stats(event=event)["arrivals"]
    assert arrivals == [{"start": noon - datetime.timedelta(hours=1), "count": 1}]
    _assert_exact(event)
    StatusChange.objects.filter(at__lt=noon, to_status=Status.CHECKED_IN)._raw_delete("default")
    assert selectors.event_stats(event=event)["arrivals"] == [{"start": noon, "count": 1}]
    _assert_exact(event)


def test_occupancy_lists_a_bucket_whose_entries_and_exits_cancel_out(event):
    person = make_registrant(event, status=Status.CHECKED_IN)
    nine = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)
    _history(person, Status.ENTERED, nine, Status.CHECKED_IN)
    _history(person, Status.EXITED, nine + datetime.timedelta(minutes=5), Status.ENTERED)
    occupancy = selectors.event_stats(event=event)["occupancy"]
    assert {"start": nine, "inside": 0} in occupancy
    _assert_exact(event)


def test_recount_counters_finds_and_repairs_a_wrong_count(event):
    make_registrant(event, status=Status.ENTERED)
    StatusCount.objects.filter(event=event, status=Status.ENTERED).update(n=F("n") + 3)
    BucketCount.objects.filter(event=event).delete()
    with pytest.raises(CommandError, match="differ"):
        call_command("recount_counters", "--check", "--event", str(event.pk))
    call_command("recount_counters", "--event", str(event.pk))
    call_command("recount_counters", "--check")
    _assert_exact(event)
    assert selectors.event_stats(event=event)["on_site"] == 1
