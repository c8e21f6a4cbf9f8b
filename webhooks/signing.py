"""Signatures of webhook deliveries, in the style of Stripe's.

Each request carries `Webhook-Signature: t=<unix seconds>,v1=<hex>`, where
the hex is HMAC-SHA256 of `<t>.<body>` under the endpoint's secret. A
receiver recomputes it and refuses a request whose `t` is more than
TOLERANCE_SECONDS away from its clock: a captured request cannot be
replayed later (docs/api.md "Webhooks" has a receiver's snippet).
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Webhook-Signature"
SCHEME = "v1"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>` under `secret`."""
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def header_value(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The Webhook-Signature header for `body`, signed now (or at `timestamp`)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},{SCHEME}={signature(secret, t, body)}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when `header` signs `body` under `secret` within `tolerance`
    seconds of `now`: what a receiver does (several v1 values are accepted,
    for a secret being rotated)."""
    parts = [p.partition("=") for p in header.split(",")]
    stamps = [v for k, _, v in parts if k.strip() == "t"]
    given = [v.strip() for k, _, v in parts if k.strip() == SCHEME]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not given:
        return False
    t = int(stamps[0])
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    expected = signature(secret, t, body)
    return any(hmac.compare_digest(expected, g) for g in given)
