"""The scan view's nonce receipts (registrants.api.idempotency): a retry
gets the first answer; a crash keeps no receipt. Races are in
registrants/tests/concurrency/test_scans.py."""

from __future__ import annotations

import pytest

from registrants import services
from registrants.api import idempotency
from registrants.errors import ApplicationError
from registrants.lifecycle import ScanMode, Status
from registrants.models import ScanReceipt, StatusChange
from registrants.tests.factories import EventFactory, make_registrant, make_user

pytestmark = pytest.mark.django_db


def _scan(registrant, mode, actor=None):
    return services.registrant_scan(
        code=registrant.check_in_code, mode=mode, event_id=registrant.event_id, actor=actor
    )


def _performer(registrant, calls: list, mode=ScanMode.DESK):
    def perform():
        calls.append(1)
        try:
            result = _scan(registrant, mode)
        except ApplicationError as exc:
            return 409, {"error": {"code": exc.code}}
        return 200, {"changed": result.changed, "changes": [c.pk for c in result.changes]}

    return perform


def test_a_scan_retried_with_its_nonce_returns_the_first_answer_and_writes_nothing():
    user = make_user("svc-nonce", None)
    registrant = make_registrant(EventFactory())
    calls: list = []
    first = idempotency.scan_with_nonce(
        fingerprint="fp", user=user, nonce="n1", perform=_performer(registrant, calls)
    )
    rows = StatusChange.objects.count()
    again = idempotency.scan_with_nonce(
        fingerprint="fp", user=user, nonce="n1", perform=_performer(registrant, calls)
    )
    assert first[:2] == again[:2]
    assert (first[2], again[2]) == (False, True)
    assert first[1]["changed"] is True
    assert len(calls) == 1
    assert StatusChange.objects.count() == rows
    assert ScanReceipt.objects.count() == 1


def test_a_refused_scan_is_replayed_as_refused():
    user = make_user("svc-nonce-refused", None)
    registrant = make_registrant(EventFactory(), status=Status.CANCELLED)
    calls: list = []
    first = idempotency.scan_with_nonce(
        fingerprint="fp", user=user, nonce="n2", perform=_performer(registrant, calls)
    )
    again = idempotency.scan_with_nonce(
        fingerprint="fp", user=user, nonce="n2", perform=_performer(registrant, calls)
    )
    assert first[:2] == again[:2] == (409, {"error": {"code": "cancelled"}})
    assert len(calls) == 1


def test_a_new_nonce_or_another_scanner_runs_the_scan_again():
    sam, kim = make_user("svc-nonce-sam", None), make_user("svc-nonce-kim", None)
    registrant = make_registrant(EventFactory())
    calls: list = []
    idempotency.scan_with_nonce(
        fingerprint="fp", user=sam, nonce="n3", perform=_performer(registrant, calls)
    )
    other_nonce = idempotency.scan_with_nonce(
        fingerprint="fp", user=sam, nonce="n4", perform=_performer(registrant, calls)
    )
    other_user = idempotency.scan_with_nonce(
        fingerprint="fp", user=kim, nonce="n3", perform=_performer(registrant, calls)
    )
    assert len(calls) == 3
    assert other_nonce[1]["changed"] is False and other_user[1]["changed"] is False
    assert other_nonce[2] is False and other_user[2] is False


def test_a_scan_that_crashes_keeps_no_receipt_so_a_retry_runs_it():
    user = make_user("svc-nonce-crash", None)
    registrant = make_registrant(EventFactory())

    def crash():
        raise RuntimeError("network")

    with pytest.raises(RuntimeError):
        idempotency.scan_with_nonce(fingerprint="fp", user=user, nonce="n5", perform=crash)
    assert not ScanReceipt.objects.exists()
    calls: list = []
    status, body, replayed = idempotency.scan_with_nonce(
        fingerprint="fp", user=user, nonce="n5", perform=_performer(registrant, calls)
    )
    assert (status, body["changed"], replayed, len(calls)) == (200, True, False, 1)
