"""POST /gateway/v1/scan/batch: offline scans applied in scanned_at order,
each answered; conflicts stored and listed; a replayed batch writes nothing."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from rest_framework.test import APIClient

from gateway.models import DeviceToken, ScanConflict
from registrants.models import Registrant, ScanReceipt, StatusChange
from registrants.tests.factories import EventFactory, make_registrant
from registrants.tests.invariants import assert_invariants

from .conftest import bearer, user_token

pytestmark = pytest.mark.django_db(transaction=True)

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def item(code, mode, seconds, nonce=None):
    return {
        "code": code,
        "mode": mode,
        "nonce": nonce or uuid.uuid4().hex,
        "scanned_at": (T0 + dt.timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z"),
    }


def bulk_registrants(event, n: int) -> list[Registrant]:
    """n registered people with their creation rows, fast (bulk inserts)."""
    from django.utils import timezone

    people = Registrant.objects.bulk_create(
        Registrant(event=event, name=f"Guest {i}", email=f"g{i}@example.com") for i in range(n)
    )
    if not people[0].pk:  # backends that do not return ids
        people = list(Registrant.objects.filter(event=event).order_by("id"))
    StatusChange.objects.bulk_create(
        StatusChange(
            registrant=p,
            event=event,
            from_status="",
            to_status="registered",
            at=timezone.now(),
            source="import",
        )
        for p in people
    )
    return people


def test_500_items_with_10_conflicts(gateway, event, device_key, organiser):
    from registrants import services

    people = bulk_registrants(event, 495)
    for person in people[490:]:
        services.registrant_change_status(registrant_id=person.pk, to_status="cancelled")
    other_event = EventFactory()
    stranger = make_registrant(other_event, name="Stranger")
    never_in = make_registrant(event, name="Never In")
    items = [item(p.check_in_code, "desk", i) for i, p in enumerate(people[:490])]
    items += [
        item(p.check_in_code, "desk", 600 + i) for i, p in enumerate(people[490:])
    ]  # cancelled
    items += [item(f"unknown-{i}", "entry", 700 + i) for i in range(3)]  # unknown codes
    items += [item(stranger.check_in_code, "entry", 800)]  # another event's code
    items += [item(never_in.check_in_code, "exit", 900)]  # exit of someone never let in
    assert len(items) == 500
    before = StatusChange.objects.count()

    r = gateway.post("/gateway/v1/scan/batch", json={"items": items}, headers=bearer(device_key))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["applied"], body["conflicts"], body["repeats"], body["replayed"]) == (
        490,
        10,
        0,
        0,
    )
    assert [x["index"] for x in body["results"]] == list(range(500))
    reasons = sorted(x["reason"] for x in body["results"] if x["result"] == "conflict")
    assert reasons == ["cancelled"] * 5 + ["invalid_transition"] + ["unknown_code"] * 3 + [
        "wrong_event"
    ]
    wrong = body["results"][498]
    assert wrong["registrant"]["name"] == "Stranger"
    assert wrong["event"] == {"id": other_event.pk, "name": other_event.name}
    assert Registrant.objects.filter(event=event, status="checked_in").count() == 490

    device = DeviceToken.objects.get()
    new_rows = StatusChange.objects.count() - before
    assert new_rows == 490
    rows = StatusChange.objects.order_by("-id")[:new_rows]
    assert {(r.actor_id, r.source) for r in rows} == {(device.user_id, "scan")}
    assert all(r.scanned_at is not None and r.scanned_at != r.at for r in rows)
    # Every conflict belongs to the event where it was scanned (the device's).
    assert ScanConflict.objects.filter(event=event).count() == 10
    assert ScanConflict.objects.filter(event=event, reason="wrong_event").count() == 1
    assert_invariants()

    # The same batch again: nothing new, every item answered as before.
    again = gateway.post(
        "/gateway/v1/scan/batch", json={"items": items}, headers=bearer(device_key)
    )
    assert again.status_code == 200
    replay = again.json()
    assert replay["replayed"] == 500 and replay["applied"] == 0
    assert StatusChange.objects.count() == before + new_rows
    assert ScanConflict.objects.count() == 10
    for first, second in zip(body["results"], replay["results"], strict=True):
        assert {**first, "replayed": True} == second

    # Organisers see the conflicts.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {user_token(organiser)}")
    listed = api.get(f"/api/v1/events/{event.pk}/scan-conflicts/").json()
    assert len(listed["results"]) == 10
    assert {c["device_name"] for c in listed["results"]} == {"Door A"}


def test_applied_in_scanned_at_order_with_device_time_kept(gateway, event, device_key):
    person = make_registrant(event)
    items = [item(person.check_in_code, "exit", 900), item(person.check_in_code, "entry", 50)]
    body = gateway.post(
        "/gateway/v1/scan/batch", json={"items": items}, headers=bearer(device_key)
    ).json()
    assert [x["result"] for x in body["results"]] == ["applied", "applied"]
    assert body["results"][1]["steps"] == ["checked_in", "entered"]
    person.refresh_from_db()
    assert person.status == "exited"
    rows = list(StatusChange.objects.filter(registrant=person).order_by("id"))[1:]
    assert [(r.to_status, r.scanned_at) for r in rows] == [
        ("checked_in", T0 + dt.timedelta(seconds=50)),
        ("entered", T0 + dt.timedelta(seconds=50)),
        ("exited", T0 + dt.timedelta(seconds=900)),
    ]
    assert_invariants()


def test_duplicate_nonce_inside_one_batch(gateway, event, device_key):
    person = make_registrant(event)
    nonce = uuid.uuid4().hex
    items = [
        item(person.check_in_code, "desk", 1, nonce),
        item(person.check_in_code, "desk", 2, nonce),
    ]
    body = gateway.post(
        "/gateway/v1/scan/batch", json={"items": items}, headers=bearer(device_key)
    ).json()
    assert [x["replayed"] for x in body["results"]] == [False, True]
    assert body["results"][1]["result"] == "applied" and body["applied"] == 1
    assert StatusChange.objects.filter(registrant=person).count() == 2


def test_batch_with_a_user_token(gateway, staff):
    person = make_registrant()
    body = gateway.post(
        "/gateway/v1/scan/batch",
        json={"event": person.event_id, "items": [item(person.check_in_code, "entry", 1)]},
        headers=bearer(user_token(staff)),
    ).json()
    assert body["applied"] == 1
    assert Registrant.objects.get(pk=person.pk).status == "entered"
    assert set(
        StatusChange.objects.filter(registrant=person, source="scan").values_list(
            "actor_id", flat=True
        )
    ) == {staff.pk}


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "items"),
        ({"items": []}, "items"),
        ({"items": "x"}, "items"),
        ({"items": [{"code": "a", "mode": "desk", "nonce": "n"}]}, "items"),
        (
            {
                "items": [
                    {
                        "code": "a",
                        "mode": "door",
                        "nonce": "n",
                        "scanned_at": "2026-12-01T09:00:00Z",
                    }
                ]
            },
            "items",
        ),
        (
            {"items": [{"code": "a", "mode": "desk", "nonce": "n", "scanned_at": "yesterday"}]},
            "items",
        ),
        ({"items": [item("a", "desk", 1)] * 501}, "items"),
        ([1, 2], "non_field_errors"),
    ],
)
def test_batch_validation(gateway, device_key, payload, field):
    before = StatusChange.objects.count()
    r = gateway.post("/gateway/v1/scan/batch", json=payload, headers=bearer(device_key))
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"]
    assert StatusChange.objects.count() == before


def test_a_user_token_batch_needs_an_event(gateway, staff):
    person = make_registrant()
    r = gateway.post(
        "/gateway/v1/scan/batch",
        json={"items": [item(person.check_in_code, "desk", 1)]},
        headers=bearer(user_token(staff)),
    )
    assert r.status_code == 400 and "event" in r.json()["error"]["fields"]
    assert Registrant.objects.get(pk=person.pk).status == "registered"


def test_a_user_token_batch_refuses_badges_of_another_event(gateway, staff, event):
    stranger = make_registrant(EventFactory(name="Other Fair"), name="Stan")
    r = gateway.post(
        "/gateway/v1/scan/batch",
        json={"event": event.pk, "items": [item(stranger.check_in_code, "desk", 1)]},
        headers=bearer(user_token(staff)),
    )
    result = r.json()["results"][0]
    assert (result["result"], result["reason"]) == ("conflict", "wrong_event")
    assert result["event"] == {"id": stranger.event_id, "name": "Other Fair"}
    assert Registrant.objects.get(pk=stranger.pk).status == "registered"
    conflict = ScanConflict.objects.get()
    assert (conflict.event_id, conflict.actor_id) == (event.pk, staff.pk)


def test_a_device_batch_naming_another_event_is_409(gateway, event, device_key):
    person = make_registrant(event)
    r = gateway.post(
        "/gateway/v1/scan/batch",
        json={"event": EventFactory().pk, "items": [item(person.check_in_code, "desk", 1)]},
        headers=bearer(device_key),
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "event_mismatch"
    assert Registrant.objects.get(pk=person.pk).status == "registered"


def test_a_nonce_reused_for_another_badge_is_refused_per_item(gateway, event, device_key):
    ann, bob, cy = (make_registrant(event, name=n) for n in ("Ann", "Bob", "Cy"))
    first = gateway.post(
        "/gateway/v1/scan/batch",
        json={"items": [item(ann.check_in_code, "desk", 1, "n-ann")]},
        headers=bearer(device_key),
    ).json()
    assert first["applied"] == 1
    receipts = ScanReceipt.objects.count()
    body = gateway.post(
        "/gateway/v1/scan/batch",
        json={
            "items": [
                item(bob.check_in_code, "desk", 2, "n-ann"),  # Ann's nonce, Bob's badge
                item(cy.check_in_code, "desk", 3, "n-cy"),
                item(ann.check_in_code, "entry", 4, "n-cy"),  # Cy's nonce again, another scan
            ]
        },
        headers=bearer(device_key),
    ).json()
    results = body["results"]
    assert [(r["result"], r["reason"]) for r in results] == [
        ("refused", "nonce_reused"),
        ("applied", None),
        ("refused", "nonce_reused"),
    ]
    assert results[0]["registrant"] is None and results[2]["registrant"] is None
    assert (body["applied"], body["refused"]) == (1, 2)
    statuses = dict(Registrant.objects.values_list("name", "status"))
    assert statuses == {"Ann": "checked_in", "Bob": "registered", "Cy": "checked_in"}
    assert ScanReceipt.objects.count() == receipts + 1
    assert_invariants()


def test_conflicts_are_capped_per_device_and_event(gateway, event, device_key, settings):
    settings.GATEWAY_MAX_OPEN_CONFLICTS = 3
    items = [item(f"unknown-{i}", "desk", i) for i in range(5)]
    body = gateway.post(
        "/gateway/v1/scan/batch", json={"items": items}, headers=bearer(device_key)
    ).json()
    results = body["results"]
    assert [r["recorded"] for r in results] == [True, True, True, False, False]
    assert {r["refusal"]["code"] for r in results[3:]} == {"conflict_limit"}
    assert all(r["result"] == "conflict" for r in results)
    assert ScanConflict.objects.filter(event=event).count() == 3
    # Another device of the same event has its own allowance.
    from gateway import services

    _, other = services.device_create(event_id=event.pk, name="Door B")
    again = gateway.post(
        "/gateway/v1/scan/batch",
        json={"items": [item("unknown-x", "desk", 9)]},
        headers=bearer(other),
    ).json()
    assert again["results"][0]["recorded"] is True
    assert ScanConflict.objects.filter(event=event).count() == 4


def test_a_batch_counts_each_item_against_the_scan_throttle(gateway, event, device_key, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"scan": "10/min"},
    }
    people = [make_registrant(event) for _ in range(12)]
    first = gateway.post(
        "/gateway/v1/scan/batch",
        json={"items": [item(p.check_in_code, "desk", i) for i, p in enumerate(people[:8])]},
        headers=bearer(device_key),
    )
    assert first.status_code == 200 and first.json()["applied"] == 8
    second = gateway.post(
        "/gateway/v1/scan/batch",
        json={"items": [item(p.check_in_code, "desk", i) for i, p in enumerate(people[8:])]},
        headers=bearer(device_key),
    )
    assert second.status_code == 429 and second.json()["error"]["code"] == "throttled"
    assert Registrant.objects.filter(event=event, status="checked_in").count() == 8


def test_a_waitlisted_badge_in_a_batch_is_a_conflict_and_writes_nothing(gateway, event, device_key):
    waiter = make_registrant(event, name="Waiting Wendy", status="waitlisted")
    guest = make_registrant(event, name="Seated Sam")
    items = [item(waiter.check_in_code, "entry", 1), item(guest.check_in_code, "entry", 2)]
    r = gateway.post("/gateway/v1/scan/batch", json={"items": items}, headers=bearer(device_key))
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert (results[0]["result"], results[0]["reason"]) == ("conflict", "waitlisted")
    assert results[1]["result"] == "applied"
    assert ScanConflict.objects.get().reason == "waitlisted"
    assert StatusChange.objects.filter(registrant=waiter).count() == 1
    assert_invariants()
