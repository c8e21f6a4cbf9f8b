"""What a scan does and what it answers: pure functions, no I/O.

Every decision comes from registrants.lifecycle (plan_scan, SCAN_TARGET);
the database backends (gateway.backends) only read and write rows, with
registrants.sql's statements. The answers are byte-for-byte the DRF endpoint's (registrants.api
.views.scan_body and the error shape of registrants.api.errors), which the
contract suite (gateway/tests/test_contract.py) checks case by case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from functools import lru_cache
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from registrants import lifecycle, presenters, scanning
from registrants.api.errors import error_body
from registrants.lifecycle import ScanMode
from registrants.services import invalid_transition

MODES = frozenset(ScanMode.values)


@dataclass
class Principal:
    """Who is scanning: a device (scoped to one event) or a user's API token."""

    user_id: int
    name: str  # how the actor is shown ("already checked in by <name>")
    event_id: int | None = None  # a device's event; None for a user
    device_id: int | None = None
    can_scan: bool = True
    # A user's events (registrants.permissions.assigned_event_ids); None: all.
    events: frozenset[int] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "u": self.user_id,
            "n": self.name,
            "e": self.event_id,
            "d": self.device_id,
            "s": self.can_scan,
            "a": None if self.events is None else sorted(self.events),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Principal:
        return cls(
            user_id=data["u"],
            name=data["n"],
            event_id=data["e"],
            device_id=data["d"],
            can_scan=data["s"],
            events=None if data.get("a") is None else frozenset(data["a"]),
        )


@dataclass
class Row:
    """A registrant as the scan answer shows it."""

    id: int
    event_id: int
    name: str
    guest_type: str
    company: str | None
    status: str
    event_name: str | None = None  # read only where a refusal needs it
    # Read with the previous change, for a repeat's "at 18:42" in the event's zone.
    event_time_zone: str | None = None

    def summary(self) -> dict[str, Any]:
        return presenters.summary(
            id=self.id,
            name=self.name,
            company=self.company,
            guest_type=self.guest_type,
            status=self.status,
        )


@dataclass
class Change:
    id: int
    from_status: str
    to_status: str
    at: dt.datetime


@dataclass
class Previous:
    at: dt.datetime
    by: str | None


@dataclass
class Outcome:
    """What happened to one scanned code."""

    kind: str  # changed | repeat | not_found | wrong_event | cancelled | waitlisted | invalid_transition
    row: Row | None = None
    mode: str = ScanMode.DESK
    changes: list[Change] = field(default_factory=list)
    previous: Previous | None = None


# --- Rules, derived from the lifecycle ------------------------------------------------


def decide(mode: str, row: Row | None, principal: Principal) -> tuple[str, tuple[str, ...]]:
    """(kind, steps) for scanning `row` in `mode`: the lifecycle's plan_scan,
    plus the gateway's own refusals (unknown code, another event's code)."""
    if row is None:
        return "not_found", ()
    if principal.event_id is not None and row.event_id != principal.event_id:
        return "wrong_event", ()
    plan = lifecycle.plan_scan(mode, row.status)
    if plan.refusal:
        return plan.refusal, ()
    if plan.repeat:
        return "repeat", ()
    return "changed", tuple(s.value for s in plan.steps)


# --- Answers --------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def api_datetime(value: dt.datetime) -> str:
    """A datetime as DRF's DateTimeField renders it (current time zone, Z for UTC)."""
    text = value.astimezone(_zone()).isoformat() if settings.USE_TZ else value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def answer(outcome: Outcome) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body): exactly what POST /api/v1/scan/ answers."""
    kind, row = outcome.kind, outcome.row
    if kind == "not_found":
        return 404, error_body("not_found", "Unknown code: no registrant carries it.")
    assert row is not None
    if kind == "wrong_event":
        error = scanning.wrong_event_error(
            row.summary(), event_id=row.event_id, event_name=row.event_name or ""
        )
        return 409, error_body(error.code, error.message, details=error.details)
    if kind == "cancelled":
        return 409, error_body(
            "cancelled",
            f"{row.name}'s registration is cancelled.",
            details={"registrant": row.summary()},
        )
    if kind == "waitlisted":
        return 409, error_body(
            "waitlisted",
            f"{row.name} is on the waitlist: no seat yet.",
            details={"registrant": row.summary()},
        )
    if kind == "invalid_transition":
        target = lifecycle.SCAN_TARGET[ScanMode(outcome.mode)]
        error = invalid_transition(SimpleNamespace(status=row.status), target)  # type: ignore[arg-type]
        error.details["registrant"] = row.summary()
        return 409, error_body(error.code, error.message, error.fields, error.details)
    previous, at, by = None, None, None
    if kind != "changed" and outcome.previous is not None:
        p = outcome.previous
        at, by = utc(p.at), p.by
        previous = {"status": row.status, "by": p.by, "at": api_datetime(at)}
    message = presenters.scan_message(
        name=row.name,
        status_label=presenters.status_label(row.status),
        changed=kind == "changed",
        by=by,
        at=at,
        time_zone=row.event_time_zone,
    )
    return 200, {
        "changed": kind == "changed",
        "status": row.status,
        "steps": [c.to_status for c in outcome.changes],
        "message": message,
        "registrant": row.summary(),
        "previous": previous,
    }


def live_message(outcome: Outcome, actor_name: str | None) -> dict[str, Any] | None:
    """live.messages.status_change_message, built from what the write
    returned instead of reading it back."""
    if outcome.kind != "changed" or not outcome.changes or outcome.row is None:
        return None
    return presenters.live_status_message(
        event_id=outcome.row.event_id,
        registrant=outcome.row.summary(),
        changes=[
            presenters.live_change(
                id=c.id,
                from_status=c.from_status,
                to_status=c.to_status,
                at=utc(c.at),
                actor=actor_name,
                source="scan",
                note="",
            )
            for c in outcome.changes
        ],
    )


# --- Batches of offline scans -----------------------------------------------------------

REASONS = {
    "not_found": "unknown_code",
    "wrong_event": "wrong_event",
    "cancelled": "cancelled",
    "waitlisted": "waitlisted",
    "invalid_transition": "invalid_transition",
}


@dataclass
class BatchItem:
    index: int  # position in the request
    code: str
    mode: str
    nonce: str
    scanned_at: dt.datetime


@dataclass
class BatchPlan:
    """The writes of one batch, decided in scanned_at order on the statuses
    read (and locked) at the start of its transaction."""

    results: dict[int, dict[str, Any]] = field(default_factory=dict)  # index -> answer
    history: list[tuple[int, int, str, str, dt.datetime]] = field(default_factory=list)
    # (registrant id, event id, from, to, device time), in order
    final_status: dict[int, str] = field(default_factory=dict)  # registrant id -> status
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    rows: dict[int, Row] = field(default_factory=dict)  # registrant id -> row (final status)


def plan_batch(items: list[BatchItem], rows: dict[str, Row], principal: Principal) -> BatchPlan:
    """Apply `items` (already in scanned_at order) to the rows in memory."""
    plan = BatchPlan()
    current = {code: Row(**vars(row)) for code, row in rows.items()}
    for item in items:
        row = current.get(item.code)
        kind, steps = decide(item.mode, row, principal)
        result: dict[str, Any] = {"index": item.index, "nonce": item.nonce}
        if kind == "changed":
            assert row is not None
            frm = row.status
            for step in steps:
                plan.history.append((row.id, row.event_id, frm, step, item.scanned_at))
                frm = step
            row = current[item.code] = replace(row, status=steps[-1])
            plan.final_status[row.id] = row.status
            plan.rows[row.id] = row
            result |= {
                "result": "applied",
                "reason": None,
                "status": row.status,
                "steps": list(steps),
            }
        elif kind == "repeat":
            assert row is not None
            result |= {"result": "repeat", "reason": None, "status": row.status, "steps": []}
        else:
            reason = REASONS[kind]
            result |= {
                "result": "conflict",
                "reason": reason,
                "status": row.status if row is not None else None,
                "steps": [],
                "recorded": True,  # until gateway.conflicts.cap says otherwise
            }
            if kind == "wrong_event":
                assert row is not None
                result["event"] = {"id": row.event_id, "name": row.event_name}
            # A conflict belongs to the event where it was scanned.
            plan.conflicts.append(
                {
                    "index": item.index,
                    "event_id": principal.event_id,
                    "registrant_id": row.id if row is not None else None,
                    "code": item.code,
                    "mode": item.mode,
                    "reason": reason,
                    "status": row.status if row is not None else "",
                    "nonce": item.nonce,
                    "scanned_at": item.scanned_at,
                }
            )
        result["registrant"] = row.summary() if row is not None else None
        plan.results[item.index] = result
    return plan


def batch_live_messages(
    plan: BatchPlan, change_rows: list[tuple[int, int, str, str, dt.datetime]], actor_name: str
) -> list[dict[str, Any]]:
    """One live message per registrant the batch changed (its rows in order).
    `change_rows`: (change id, registrant id, from, to, at) as written."""
    per: dict[int, list[Change]] = {}
    for change_id, registrant_id, frm, to, at in sorted(change_rows):
        per.setdefault(registrant_id, []).append(Change(change_id, frm, to, at))
    messages = []
    for registrant_id, changes in per.items():
        row = plan.rows[registrant_id]
        message = live_message(Outcome("changed", row=row, changes=changes), actor_name)
        if message:
            messages.append(message)
    return messages
