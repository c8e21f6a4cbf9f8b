"""History as of a past moment: the stats' `at` and the list's `status_at`.

The figures of a past moment are rebuilt from the history rows; they must
equal what the live endpoint answered at that moment (snapshots taken with
the clock held at each moment), and never move afterwards (erasure).
"""

from __future__ import annotations

import datetime
from contextlib import contextmanager
from unittest import mock

import pytest

from accounts.models import EventAssignment
from registrants import erasure, history_as_of, services
from registrants.models import Registrant
from registrants.tests.factories import EventFactory

from .api.conftest import assert_error, client_for

UTC = datetime.UTC
# Moments well before the machine's clock: "the past" for the as-of reads.
T0 = datetime.datetime(2026, 11, 28, 18, 0, tzinfo=UTC)


def moment(minutes: int) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=minutes)


@contextmanager
def clock(at: datetime.datetime):
    """Every timezone.now() (history rows' `at`, the stats) reads `at`."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


def move(registrant: Registrant, to_status: str, note: str = "") -> None:
    services.registrant_change_status(registrant_id=registrant.pk, to_status=to_status, note=note)


def get_stats(client, event, at: datetime.datetime | None = None) -> dict:
    params = {"at": at.isoformat()} if at is not None else {}
    response = client.get(f"/api/v1/events/{event.pk}/stats/", params)
    assert response.status_code == 200, response.content[:500]
    return response.json()


def comparable(stats: dict, *, companies: bool = True) -> dict:
    """The figures, without when they were computed (and, for erasure,
    without the per-company split: erasing removes the company)."""
    skip = {"generated_at", "as_of"} | (set() if companies else {"companies"})
    return {k: v for k, v in stats.items() if k not in skip}


def _register(event, name, company=None, guest_type="attendee") -> Registrant:
    return services.registrant_register(
        event_id=event.pk,
        name=name,
        email=f"{name.lower()}@example.com",
        company_name=company,
        guest_type=guest_type,
    )


def _night(event, after_step=None) -> tuple[dict[str, Registrant], list[datetime.datetime]]:
    """A night of changes, one step per moment: forward moves, an entry scan
    that writes two rows at the same instant, a correction, an undo, a
    cancellation and a reinstatement, and a late registration. After each
    step, with the clock still held, `after_step(moment)`."""
    people: dict[str, Registrant] = {}
    steps = [
        lambda: people.update(
            ada=_register(event, "Ada", "Acme", "vip"),
            bob=_register(event, "Bob", "Acme"),
            cy=_register(event, "Cy", "Globex", "speaker"),
            dee=_register(event, "Dee"),
        ),
        lambda: move(people["ada"], "checked_in"),
        lambda: (move(people["ada"], "entered"), move(people["bob"], "checked_in")),
        lambda: services.registrant_scan(
            code=people["cy"].check_in_code, mode="entry", event_id=event.pk
        ),
        lambda: move(people["ada"], "checked_in", note="let in by mistake"),
        lambda: move(people["bob"], "registered"),
        lambda: (move(people["dee"], "cancelled"), move(people["cy"], "exited")),
        lambda: people.update(eve=_register(event, "Eve", "Initech")),
        lambda: (move(people["dee"], "registered"), move(people["ada"], "entered")),
    ]
    moments = []
    for i, step in enumerate(steps):
        at = moment(10 * i)
        with clock(at):
            step()
            if after_step is not None:
                after_step(at)
        moments.append(at)
    return people, moments


def test_stats_as_of_each_moment_equal_the_live_stats_then(viewer_client):
    event = EventFactory(capacity=50)
    snapshots: dict[datetime.datetime, dict] = {}
    _, moments = _night(event, lambda at: snapshots.update({at: get_stats(viewer_client, event)}))
    for at in moments:
        past = get_stats(viewer_client, event, at)
        assert past["as_of"] is not None
        assert comparable(past) == comparable(snapshots[at]), at
    # Before the first row the event had no one; between two moments it
    # reads as the earlier one.
    empty = get_stats(viewer_client, event, moment(-1))
    assert (empty["total"], empty["arrivals"], empty["occupancy"]) == (0, [], [])
    assert comparable(get_stats(viewer_client, event, moment(25))) == comparable(
        snapshots[moment(20)]
    )


def test_rows_at_the_same_instant_are_ordered_by_id(viewer_client):
    event = EventFactory()
    _, moments = _night(event)
    # Cy's entry scan wrote checked_in then entered, both at moments[3].
    at = moments[3]
    assert set(
        Registrant.objects.get(name="Cy").history.filter(at=at).values_list("to_status", flat=True)
    ) == {"checked_in", "entered"}
    assert get_stats(viewer_client, event, at)["by_status"]["entered"] == 2  # Ada and Cy


def test_absent_or_future_at_gives_the_live_stats(viewer_client):
    event = EventFactory()
    _night(event)
    live = get_stats(viewer_client, event)
    future = datetime.datetime.now(tz=UTC) + datetime.timedelta(days=1)
    assert live["as_of"] is None
    assert get_stats(viewer_client, event, future)["as_of"] is None
    assert comparable(get_stats(viewer_client, event, future)) == comparable(live)
    # Long after the last change, the history gives the live figures too.
    assert comparable(get_stats(viewer_client, event, moment(600))) == comparable(live)


@pytest.mark.parametrize(
    "raw",
    ["yesterday", "2026-13-01T00:00:00Z", "9999-12-31T23:00:00-05:00", "0001-01-01T00:30+05:00"],
)
def test_bad_at_is_a_400(viewer_client, event, raw):
    response = viewer_client.get(f"/api/v1/events/{event.pk}/stats/", {"at": raw})
    err = assert_error(response, 400, "validation_error")
    assert set(err["fields"]) == {"at"}
    response = viewer_client.get("/api/v1/registrants/", {"status_at": "entered", "at": raw})
    assert set(assert_error(response, 400, "validation_error")["fields"]) == {"at"}


def test_erasure_leaves_the_past_figures_unchanged(viewer_client):
    event = EventFactory()
    people, moments = _night(event)
    before = {at: get_stats(viewer_client, event, at) for at in moments}
    erasure.registrant_erase(registrant_id=people["ada"].pk)
    erasure.registrant_erase(registrant_id=people["cy"].pk)
    for at in moments:
        after = get_stats(viewer_client, event, at)
        assert comparable(after, companies=False) == comparable(before[at], companies=False)
    inside = _list(viewer_client, event, status_at="entered", at=moments[3])
    assert inside == {people["ada"].pk, people["cy"].pk}


def test_stats_as_of_read_the_history_in_one_query(event, django_assert_num_queries):
    _night(event)
    # The statuses, guest types and companies in one; arrivals; occupancy.
    with django_assert_num_queries(3):
        history_as_of.event_stats_as_of(event=event, at=moment(35))


def _list(client, event, **params) -> set[int]:
    query = {"event": event.pk, "page_size": 200}
    for key, value in params.items():
        query[key] = value.isoformat() if isinstance(value, datetime.datetime) else value
    response = client.get("/api/v1/registrants/", query)
    assert response.status_code == 200, response.content[:500]
    return {row["id"] for row in response.json()["results"]}


def test_list_of_who_had_a_status_at_a_moment(viewer_client):
    event = EventFactory()
    other = EventFactory()
    people, moments = _night(event)
    _night(other)  # the same night elsewhere: never in this event's list
    ids = {name: r.pk for name, r in people.items()}
    at = moments
    assert _list(viewer_client, event, status_at="entered", at=at[2]) == {ids["ada"]}
    assert _list(viewer_client, event, status_at="entered", at=at[3]) == {ids["ada"], ids["cy"]}
    # The correction took Ada out again; the undo sent Bob back.
    assert _list(viewer_client, event, status_at="entered", at=at[4]) == {ids["cy"]}
    assert _list(viewer_client, event, status_at="registered", at=at[5]) == {
        ids["bob"],
        ids["dee"],
    }
    assert _list(viewer_client, event, status_at="cancelled,exited", at=at[6]) == {
        ids["dee"],
        ids["cy"],
    }
    # Eve registered at moments[7]: not there before, there from then on.
    assert ids["eve"] not in _list(viewer_client, event, status_at="registered", at=at[6])
    assert ids["eve"] in _list(viewer_client, event, status_at="registered", at=at[7])
    assert _list(viewer_client, event, at=at[6]) == {ids[n] for n in ("ada", "bob", "cy", "dee")}
    # Without `at`: the statuses now. Combined with the other filters.
    assert _list(viewer_client, event, status_at="entered") == {ids["ada"]}
    assert _list(viewer_client, event, status_at="entered", at=at[3], guest_type="speaker") == {
        ids["cy"]
    }


def test_viewers_of_another_event_are_refused(viewer):
    event = EventFactory()
    EventAssignment.objects.create(user=viewer, event=EventFactory())
    response = client_for(viewer).get(
        f"/api/v1/events/{event.pk}/stats/", {"at": moment(0).isoformat()}
    )
    assert_error(response, 403, "permission_denied")


def test_the_list_of_an_assigned_viewer_keeps_to_their_events(viewer):
    mine, theirs = EventFactory(), EventFactory()
    EventAssignment.objects.create(user=viewer, event=mine)
    _night(mine)
    _night(theirs)
    client = client_for(viewer)
    response = client.get("/api/v1/registrants/", {"status_at": "registered", "at": moment(70)})
    events = {Registrant.objects.get(pk=r["id"]).event_id for r in response.json()["results"]}
    assert events == {mine.pk}


def test_companies_rank_as_the_live_stats_did(viewer_client):
    """More companies than the top ten, tied counts, names that sort apart
    by case: the ranking and the cut equal the live answer's."""
    event = EventFactory()
    names = ["apple", "Banana", "cherry", "Date", "éclair", "Fig", "grape", "Ha", "ice", "Jam"]
    names += ["kiwi", "Lime", "mango"]
    with clock(moment(0)):
        for i, company in enumerate(names):
            for j in range(1 + i % 2):
                _register(event, f"P{i}x{j}", company)
        live = get_stats(viewer_client, event)
    with clock(moment(5)):
        move(Registrant.objects.filter(event=event).first(), "cancelled")
    past = get_stats(viewer_client, event, moment(0))
    assert past["companies"] == live["companies"]
    assert live["companies"]["others_companies"] == 3


def test_export_keeps_the_as_of_filter(org_client):
    """The list page's "Export these N" carries status_at and at along."""
    event = EventFactory()
    people, moments = _night(event)
    response = org_client.get(
        f"/api/v1/events/{event.pk}/export/",
        {"format": "csv", "status_at": "entered", "at": moments[3].isoformat()},
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert "Ada" in body and "Cy" in body and "Bob" not in body and "Dee" not in body


def test_unknown_status_at_is_a_400(viewer_client, event):
    response = viewer_client.get("/api/v1/registrants/", {"status_at": "inside"})
    assert set(assert_error(response, 400, "validation_error")["fields"]) == {"status_at"}


def test_a_javascript_moment_is_read(viewer_client):
    """The slider sends Date.toISOString(): milliseconds and Z."""
    event = EventFactory()
    _, moments = _night(event)
    at = moments[3].strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert get_stats(viewer_client, event)["by_status"]["entered"] == 1
    response = viewer_client.get(f"/api/v1/events/{event.pk}/stats/", {"at": at})
    assert response.json()["by_status"]["entered"] == 2


def test_as_of_is_written_in_utc(viewer_client, event):
    """A moment of the year 791 in the deployment's zone would carry London's
    local mean time, -00:01:15: no date-time the schema allows."""
    stats = get_stats(viewer_client, event, datetime.datetime(791, 1, 7, 4, 11, tzinfo=UTC))
    assert stats["as_of"] == "0791-01-07T04:11:00Z"
    assert (stats["total"], stats["arrivals"]) == (0, [])
