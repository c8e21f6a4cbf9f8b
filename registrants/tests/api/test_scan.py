"""POST /scan/: each mode, unknown and cancelled codes, repeats, nonces."""

from __future__ import annotations

import pytest

from registrants.models import ScanReceipt, StatusChange
from registrants.tests.factories import make_registrant

from .conftest import assert_error


def scan(client, code, mode, **extra):
    return client.post("/api/v1/scan/", {"code": code, "mode": mode, **extra}, format="json")


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
