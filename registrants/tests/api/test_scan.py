"""POST /scan/: each mode, unknown and cancelled codes, another event's
badge, repeats, nonces (a replay, and a nonce reused for another scan)."""

from __future__ import annotations

import pytest

from registrants.models import Event, Registrant, ScanReceipt, StatusChange
from registrants.tests.factories import EventFactory, make_registrant

from .conftest import assert_error


def scan(client, code, mode, event=None, **extra):
    """A scan at the badge's own event, unless `event` says otherwise."""
    if event is None:
        holder = Registrant.objects.filter(check_in_code=code).first()
        event = holder.event_id if holder else Event.objects.values_list("pk", flat=True).first()
    body = {"code": code, "mode": mode, "event": event, **extra}
    return client.post("/api/v1/scan/", body, format="json")


def _written() -> tuple[int, int]:
    return StatusChange.objects.count(), ScanReceipt.objects.count()


@pytest.mark.parametrize(
    ("start", "mode", "status", "steps"),
    [
        ("registered", "desk", "checked_in", ["checked_in"]),
        ("checked_in", "entry", "entered", ["entered"]),
        ("registered", "entry", "entered", ["checked_in", "entered"]),
        ("exited", "entry", "entered", ["entered"]),
        ("entered", "exit", "exited", ["exited"]),
    ],
)
def test_modes(staff_client, event, start, mode, status, steps):
    r = make_registrant(event, name="Alan", company="Acme", guest_type="speaker", status=start)
    rows = StatusChange.objects.count()
    body = scan(staff_client, r.check_in_code, mode).json()
    assert body["changed"] is True and body["status"] == status and body["steps"] == steps
    assert body["registrant"] == {
        "id": r.pk,
        "name": "Alan",
        "company": "Acme",
        "guest_type": "speaker",
        "status": status,
    }
    assert StatusChange.objects.count() == rows + len(steps)
    assert StatusChange.objects.filter(registrant=r).last().source == "scan"


def test_exit_scan_of_registered_is_409(staff_client, event):
    r = make_registrant(event)
    assert_error(scan(staff_client, r.check_in_code, "exit"), 409, "invalid_transition")


def test_unknown_code(staff_client, data):
    assert_error(scan(staff_client, "no-such-code", "desk"), 404, "not_found")


def test_cancelled(staff_client, data):
    assert_error(
        scan(staff_client, data["regs"]["cancelled"].check_in_code, "entry"), 409, "cancelled"
    )


def test_repeat_says_who_and_when(staff_client, staff, event):
    staff.first_name, staff.last_name = "Sam", "Smith"
    staff.save()
    r = make_registrant(event)
    first = scan(staff_client, r.check_in_code, "desk").json()
    rows = StatusChange.objects.count()
    again = scan(staff_client, r.check_in_code, "desk").json()
    assert again["changed"] is False and again["steps"] == []
    assert again["previous"]["by"] == "Sam Smith" and again["previous"]["status"] == "checked_in"
    assert again["previous"]["at"]
    assert "already checked in by Sam Smith at" in again["message"]
    assert first["changed"] is True
    assert StatusChange.objects.count() == rows


def test_past_the_desk_is_a_repeat(staff_client, event):
    r = make_registrant(event, status="entered")
    body = scan(staff_client, r.check_in_code, "desk").json()
    assert body["changed"] is False and body["status"] == "entered"


def test_nonce_replay_returns_first_answer(staff_client, event):
    r = make_registrant(event)
    first = scan(staff_client, r.check_in_code, "desk", nonce="n-1")
    rows, receipts = StatusChange.objects.count(), ScanReceipt.objects.count()
    again = scan(staff_client, r.check_in_code, "desk", nonce="n-1")
    assert again.status_code == first.status_code == 200
    assert again.json() == first.json() and again.json()["changed"] is True
    assert (StatusChange.objects.count(), ScanReceipt.objects.count()) == (rows, receipts)


def test_nonce_replay_of_an_error(staff_client, data):
    first = scan(staff_client, "unknown", "desk", nonce="n-2")
    assert_error(first, 404, "not_found")
    again = scan(staff_client, "unknown", "desk", nonce="n-2")
    assert again.status_code == 404 and again.json() == first.json()


def test_event_is_required(staff_client, event):
    r = make_registrant(event)
    response = staff_client.post(
        "/api/v1/scan/", {"code": r.check_in_code, "mode": "desk"}, format="json"
    )
    err = assert_error(response, 400, "validation_error")
    assert "event" in err["fields"]
    r.refresh_from_db()
    assert r.status == "registered"


@pytest.mark.parametrize("nonce", [None, "n-other-event"])
def test_badge_of_another_event_is_refused_and_changes_nothing(staff_client, event, nonce):
    past = EventFactory(name="Spring Gala")
    r = make_registrant(past, name="Pat", company="Acme", status="registered")
    before = _written()
    extra = {"nonce": nonce} if nonce else {}
    err = assert_error(
        scan(staff_client, r.check_in_code, "entry", event=event.pk, **extra), 409, "wrong_event"
    )
    assert "Spring Gala" in err["message"]
    assert err["details"]["event"] == {"id": past.pk, "name": "Spring Gala"}
    assert err["details"]["registrant"] == {
        "id": r.pk,
        "name": "Pat",
        "company": "Acme",
        "guest_type": r.guest_type,
        "status": "registered",
    }
    r.refresh_from_db()
    assert r.status == "registered"
    assert _written() == before  # no history row, no receipt to replay later
    if nonce:  # the same nonce at the right event is a new request, and it works
        ok = scan(staff_client, r.check_in_code, "entry", event=past.pk, nonce=nonce)
        assert ok.status_code == 200 and ok.json()["status"] == "entered"


def test_nonce_reused_for_another_badge_is_refused(staff_client, event):
    ann, bob = make_registrant(event, name="Ann"), make_registrant(event, name="Bob")
    first = scan(staff_client, ann.check_in_code, "desk", nonce="n-3")
    assert first.status_code == 200 and first.json()["registrant"]["name"] == "Ann"
    before = _written()
    again = scan(staff_client, bob.check_in_code, "desk", nonce="n-3")
    assert_error(again, 409, "nonce_reused")
    assert "Ann" not in again.content.decode()
    assert _written() == before
    bob.refresh_from_db()
    assert bob.status == "registered"


@pytest.mark.parametrize("change", [{"mode": "entry"}, {"event": "other"}])
def test_nonce_reused_with_another_mode_or_event_is_refused(staff_client, event, change):
    ann = make_registrant(event, name="Ann")
    assert scan(staff_client, ann.check_in_code, "desk", nonce="n-4").status_code == 200
    before = _written()
    mode = change.get("mode", "desk")
    other = EventFactory().pk if "event" in change else None
    again = scan(staff_client, ann.check_in_code, mode, event=other, nonce="n-4")
    assert_error(again, 409, "nonce_reused")
    assert _written() == before
    ann.refresh_from_db()
    assert ann.status == "checked_in"
