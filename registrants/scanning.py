"""The rules of a scan beyond the lifecycle, shared by every scan path
(the API, the desk page, the gateway's SQL paths):

- A scan belongs to one event. A badge of another event is refused with
  409 `wrong_event`, naming the badge's event, and changes nothing.
- A nonce names one request. Its receipt keeps a fingerprint of what was
  asked (code, mode, event): the same request again gets the first answer;
  another request with the same nonce is refused with 409 `nonce_reused`,
  never answered with someone else's result.

docs/decisions/0010-scan-event-and-nonce.md says why.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .errors import ApplicationError


def wrong_event_error(
    registrant: dict[str, Any], *, event_id: int, event_name: str
) -> ApplicationError:
    """The refusal of a badge whose registrant belongs to event `event_id`
    (`registrant` is the summary every scan refusal carries)."""
    return ApplicationError(
        "wrong_event",
        f"{registrant['name']}'s badge belongs to another event: {event_name}.",
        details={"event": {"id": event_id, "name": event_name}, "registrant": registrant},
    )


def event_mismatch_error(*, device_event_id: int, requested_event_id: int) -> ApplicationError:
    """A device names another event than its own in the body."""
    return ApplicationError(
        "event_mismatch",
        f"This device scans for event {device_event_id} only; "
        f"the request names event {requested_event_id}.",
        details={"device_event": device_event_id},
    )


def request_fingerprint(*, code: str, mode: str, event_id: int | None) -> str:
    """What a nonce's receipt remembers of its request: a SHA-256 of the
    code, mode and event (hex, 64 characters; the code itself is a door key
    and is not stored twice)."""
    text = "\x1f".join((code, mode, "" if event_id is None else str(event_id)))
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprints_match(stored: str, fingerprint: str) -> bool:
    """Whether a stored receipt answers this request. Receipts written
    before fingerprints existed (empty) are answered as they always were."""
    return not stored or stored == fingerprint


def nonce_reused_error() -> ApplicationError:
    """The refusal of a nonce already used for another request."""
    return ApplicationError(
        "nonce_reused",
        "This nonce was already used for another scan (another code, mode or event); "
        "send a new nonce with each new scan.",
    )
