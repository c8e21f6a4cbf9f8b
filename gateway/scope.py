"""Which event a gateway scan is for (registrants.scanning: one event per scan).

A device scans for its own event: the body's `event` may repeat it and
defaults to it; naming another is a 409 `event_mismatch`. A user's token
scans for the event its body names (required, as on POST /api/v1/scan/).
The scan then runs with a principal scoped to that event, and every SQL
path compares the badge's event with it in the statement that scans.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from registrants import scanning
from registrants.errors import ApplicationError

from .auth import Refusal
from .scan import Principal

MAX_ID = 2**63 - 1
# As the DRF scan endpoint answers a user outside their events.
NOT_ASSIGNED = Refusal(403, "permission_denied", "You are not assigned to this event.")


def with_device_event(principal: Principal, data: Any) -> Any:
    """The body, with a device's own event filled in when it names none."""
    if principal.device_id is not None and type(data) is dict and "event" not in data:
        return {**data, "event": principal.event_id}
    return data


def scoped(principal: Principal, event_id: int) -> Principal:
    """`principal` scanning for `event_id`; raises event_mismatch (409) for
    a device naming another event than its own, a 403 Refusal for a user
    not assigned to it."""
    if principal.device_id is not None:
        if event_id != principal.event_id:
            raise scanning.event_mismatch_error(
                device_event_id=principal.event_id or 0, requested_event_id=event_id
            )
        return principal
    if principal.events is not None and event_id not in principal.events:
        raise NOT_ASSIGNED
    return replace(principal, event_id=event_id)


def batch_event(data: dict[str, Any]) -> int:
    """A batch's `event`, validated as the scan endpoint's (DRF's words);
    raises validation_error (400)."""
    from rest_framework.exceptions import ValidationError

    from registrants.api.serializers import id_field

    if "event" not in data:
        problems = ["This field is required."]
    else:
        try:
            return id_field().run_validation(data["event"])
        except ValidationError as exc:
            problems = [str(m) for m in exc.detail]
    raise ApplicationError("validation_error", f"event: {problems[0]}", fields={"event": problems})


def event_id(value: Any) -> int | None:
    """An event id as the DRF IntegerField(min 1, bigint) takes it without
    coercion, else None (the caller lets DRF word the error)."""
    if type(value) is int and 1 <= value <= MAX_ID:
        return value
    return None
