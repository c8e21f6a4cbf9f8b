"""The desk and door scan of one check-in code (registrant_scan)."""

from __future__ import annotations

from django.db import transaction

from .. import lifecycle, scanning
from ..erasure import refuse_if_erased
from ..errors import ApplicationError
from ..lifecycle import ScanMode
from ..models import Registrant, Source
from ..presenters import registrant_summary
from .announce import _announce_status_change
from .common import Actor
from .transitions import StatusResult, _apply, _last_change_to, invalid_transition


def registrant_scan(
    *,
    code: str,
    mode: str,
    event_id: int,
    actor: Actor = None,
    source: str = Source.SCAN,
) -> StatusResult:
    """The desk and door operation: bring the code's holder to the mode's status.

    A scan belongs to the event `event_id`. Raises not_found (unknown code),
    wrong_event (409, a badge of another event: nothing changes), erased
    (409), cancelled (409), waitlisted (409), invalid_transition (409, e.g. an exit scan of
    someone never let in). A repeat is changed=False.
    """
    scan_mode = ScanMode(mode)
    with transaction.atomic():
        registrant = (
            Registrant.objects.select_for_update(of=("self",))
            .select_related("company", "event")
            .filter(check_in_code=code)
            .first()
        )
        if registrant is None:
            raise ApplicationError("not_found", "Unknown code: no registrant carries it.")
        refuse_if_erased(registrant)
        if registrant.event_id != event_id:
            raise scanning.wrong_event_error(
                registrant_summary(registrant),
                event_id=registrant.event_id,
                event_name=registrant.event.name,
            )
        plan = lifecycle.plan_scan(scan_mode, registrant.status)
        if plan.refusal == "cancelled":
            raise ApplicationError(
                "cancelled",
                f"{registrant.name}'s registration is cancelled.",
                details={"registrant": registrant_summary(registrant)},
            )
        if plan.refusal == "waitlisted":
            raise ApplicationError(
                "waitlisted",
                f"{registrant.name} is on the waitlist: no seat yet.",
                details={"registrant": registrant_summary(registrant)},
            )
        if plan.refusal:
            error = invalid_transition(registrant, lifecycle.SCAN_TARGET[scan_mode])
            error.details["registrant"] = registrant_summary(registrant)
            raise error
        if plan.repeat:
            return StatusResult(
                registrant,
                changed=False,
                previous=_last_change_to(registrant, registrant.status),
            )
        changes = [_apply(registrant, step, actor=actor, source=source) for step in plan.steps]
        _announce_status_change(registrant, changes)
    return StatusResult(registrant, changed=True, changes=changes)
