"""Idempotent scans: one answer per (user, nonce), kept as a receipt.

An API concern, not a domain rule: the scan service does not know about
nonces; the scan view wraps it here. The gateway's SQL paths keep their own
receipts in the same table (gateway/receipts.py), with the same fingerprint
rules (registrants.scanning).
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from registrants import scanning
from registrants.models import ScanReceipt


def scan_with_nonce(
    *,
    user: Any,
    nonce: str,
    fingerprint: str,
    perform: Any,
) -> tuple[int, dict[str, Any], bool]:
    """Run `perform()` once per (user, nonce); a retry gets the first answer.

    `perform` returns (http_status, body); an ApplicationError it raises
    leaves no receipt (the refusal is not kept: wrong_event). The receipt is
    claimed first, in the same transaction as the scan, so that a concurrent
    retry waits on the unique index and then reads the stored answer.
    `fingerprint` (scanning.request_fingerprint) is what was asked: a
    receipt of another request raises nonce_reused (409), writing nothing.
    Returns (status, body, replayed).
    """

    def replay(stored: ScanReceipt) -> tuple[int, dict[str, Any], bool]:
        if not scanning.fingerprints_match(stored.fingerprint, fingerprint):
            raise scanning.nonce_reused_error()
        return stored.http_status, stored.response, True

    stored = ScanReceipt.objects.filter(user=user, nonce=nonce).first()
    if stored:
        return replay(stored)
    try:
        with transaction.atomic():
            receipt = ScanReceipt.objects.create(user=user, nonce=nonce, fingerprint=fingerprint)
            http_status, body = perform()
            receipt.http_status, receipt.response = http_status, body
            receipt.save(update_fields=["http_status", "response"])
            return http_status, body, False
    except IntegrityError:
        return replay(ScanReceipt.objects.get(user=user, nonce=nonce))
