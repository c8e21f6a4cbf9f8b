"""The status lifecycle: the one source of truth for who may move where.

Everything that changes a status (API, admin, pages, scanner, import, bulk
actions, SQL fast paths) derives its rules from TRANSITIONS below. Nothing
else in the code base lists allowed moves.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum

from django.db import models


class Status(models.TextChoices):
    WAITLISTED = "waitlisted", "Waitlisted"
    REGISTERED = "registered", "Registered"
    CHECKED_IN = "checked_in", "Checked in"
    ENTERED = "entered", "Entered"
    EXITED = "exited", "Exited"
    CANCELLED = "cancelled", "Cancelled"


class Kind(StrEnum):
    """What a transition means; decides which roles may make it."""

    FORWARD = "forward"  # the normal flow at the desk and the doors
    UNDO = "undo"  # fixing a mistaken check-in
    CANCEL = "cancel"
    REINSTATE = "reinstate"  # needs a free seat
    PROMOTE = "promote"  # off the waitlist; needs a free seat
    # Fixing a mistaken scan after the fact (let in by mistake, cancelled
    # while inside): organisers only, and always with a note saying why.
    CORRECTION = "correction"


class ScanMode(models.TextChoices):
    DESK = "desk", "Desk"
    ENTRY = "entry", "Entry"
    EXIT = "exit", "Exit"


INITIAL_STATUS = Status.REGISTERED
# Where a registration starts when the event is full and it asks to wait.
WAITLIST_STATUS = Status.WAITLISTED

# (from, to) -> kind. A pair that is absent is refused.
TRANSITIONS: dict[tuple[Status, Status], Kind] = {
    (Status.WAITLISTED, Status.REGISTERED): Kind.PROMOTE,
    (Status.WAITLISTED, Status.CANCELLED): Kind.CANCEL,
    (Status.REGISTERED, Status.CHECKED_IN): Kind.FORWARD,
    (Status.REGISTERED, Status.CANCELLED): Kind.CANCEL,
    (Status.CHECKED_IN, Status.REGISTERED): Kind.UNDO,
    (Status.CHECKED_IN, Status.ENTERED): Kind.FORWARD,
    (Status.CHECKED_IN, Status.CANCELLED): Kind.CANCEL,
    (Status.ENTERED, Status.CHECKED_IN): Kind.CORRECTION,
    (Status.ENTERED, Status.EXITED): Kind.FORWARD,
    (Status.ENTERED, Status.CANCELLED): Kind.CORRECTION,
    (Status.EXITED, Status.CHECKED_IN): Kind.CORRECTION,
    (Status.EXITED, Status.ENTERED): Kind.FORWARD,
    (Status.EXITED, Status.CANCELLED): Kind.CORRECTION,
    (Status.CANCELLED, Status.REGISTERED): Kind.REINSTATE,
}

# Kinds of move that are refused without a note (validation_error on "note").
NOTE_REQUIRED: frozenset[Kind] = frozenset({Kind.CORRECTION})

# Statuses that hold a seat: every status but waitlisted and cancelled.
SEAT_HOLDING = frozenset(s for s in Status if s not in (Status.WAITLISTED, Status.CANCELLED))

# Moves that take a seat someone else may be waiting for: refused without one.
NEEDS_SEAT: frozenset[Kind] = frozenset({Kind.REINSTATE, Kind.PROMOTE})


def frees_seat(from_status: str, to_status: str) -> bool:
    """Whether the move may let the waitlist's next person in: it gives up a
    seat, or takes a waitlisted person (and any offer they hold) out of line."""
    leaves = from_status in SEAT_HOLDING or from_status == Status.WAITLISTED
    return leaves and to_status not in SEAT_HOLDING


# The status each scan mode brings a registrant to.
SCAN_TARGET: dict[ScanMode, Status] = {
    ScanMode.DESK: Status.CHECKED_IN,
    ScanMode.ENTRY: Status.ENTERED,
    ScanMode.EXIT: Status.EXITED,
}

# How many forward moves one scan may make. Only the entry door may do two:
# a registered person scanned at the door is checked in and let in at once.
# The exit door never checks anyone in.
SCAN_MAX_STEPS: dict[ScanMode, int] = {
    ScanMode.DESK: 1,
    ScanMode.ENTRY: 2,
    ScanMode.EXIT: 1,
}


def kind_of(from_status: str, to_status: str) -> Kind | None:
    """The kind of the move, or None when the table does not allow it."""
    return TRANSITIONS.get((Status(from_status), Status(to_status)))


# A set built once: pages call kind_of_change per history row.
_STATUS_VALUES = frozenset(Status.values)


def kind_of_change(from_status: str, to_status: str) -> Kind | None:
    """The kind of a history row's move: None for the creation row (no
    from-status), and for a move the table no longer allows."""
    if not from_status or from_status not in _STATUS_VALUES or to_status not in _STATUS_VALUES:
        return None
    return kind_of(from_status, to_status)


def is_allowed(from_status: str, to_status: str) -> bool:
    return kind_of(from_status, to_status) is not None


def allowed_targets(from_status: str) -> list[Status]:
    """Statuses reachable in one step from `from_status`, in table order."""
    return [to for (frm, to) in TRANSITIONS if frm == Status(from_status)]


def forward_path(from_status: str, to_status: str) -> list[Status] | None:
    """The shortest chain of FORWARD moves from one status to another.

    Returns the statuses visited after `from_status` (empty when they are
    equal), or None when forward moves cannot get there.
    """
    start, goal = Status(from_status), Status(to_status)
    queue: deque[tuple[Status, list[Status]]] = deque([(start, [])])
    seen = {start}
    while queue:
        status, path = queue.popleft()
        if status == goal:
            return path
        for (frm, to), kind in TRANSITIONS.items():
            if frm == status and kind == Kind.FORWARD and to not in seen:
                seen.add(to)
                queue.append((to, [*path, to]))
    return None


@dataclass(frozen=True)
class ScanPlan:
    """What a scan does to a registrant in a given status.

    Exactly one of: `steps` (the statuses to write, in order), `repeat` (the
    person is already where the scan would bring them, or past it), or
    `refusal` (an error code: "cancelled", "waitlisted" or
    "invalid_transition").
    """

    steps: tuple[Status, ...] = ()
    repeat: bool = False
    refusal: str | None = None


def plan_scan(mode: str, current: str) -> ScanPlan:
    """Decide what scanning someone in status `current` in `mode` does."""
    scan_mode = ScanMode(mode)
    current_status, target = Status(current), SCAN_TARGET[scan_mode]
    if current_status == Status.CANCELLED:
        return ScanPlan(refusal="cancelled")
    if current_status == Status.WAITLISTED:
        # No seat yet: the door and the desk turn them away, writing nothing.
        return ScanPlan(refusal="waitlisted")
    if current_status == target:
        return ScanPlan(repeat=True)
    path = forward_path(current_status, target)
    if path and len(path) <= SCAN_MAX_STEPS[scan_mode]:
        return ScanPlan(steps=tuple(path))
    # Already past the target (e.g. entered, scanned at the desk): a repeat,
    # not an error; the desk should simply wave them through.
    if forward_path(target, current_status):
        return ScanPlan(repeat=True)
    return ScanPlan(refusal="invalid_transition")


def scan_from_statuses(mode: str) -> dict[Status, tuple[Status, ...]]:
    """For SQL fast paths: each status a scan in `mode` changes, and its steps."""
    plans = {s: plan_scan(mode, s) for s in Status}
    return {s: p.steps for s, p in plans.items() if p.steps}
