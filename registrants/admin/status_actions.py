"""The registrants' status actions, one per (target, kind) of the lifecycle table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin

from .. import lifecycle
from ..lifecycle import Kind, Status
from ..presenters import action_label

if TYPE_CHECKING:
    from .registrants import RegistrantAdmin


# How many names a refusal message lists before it says "and N more".
NAMES_PER_MESSAGE = 10


# The permission each kind of move needs (roles.py grants them).
KIND_PERMISSION: dict[Kind, str] = {
    Kind.FORWARD: "move_forward",
    Kind.UNDO: "change_any_status",
    Kind.CANCEL: "change_any_status",
    Kind.REINSTATE: "change_any_status",
    Kind.PROMOTE: "change_any_status",
}


def status_action_specs() -> list[tuple[str, Status, Kind]]:
    """(action name, target, kind) for every (target, kind) the table has,
    but those that need a note: an admin action has nowhere to write one, so
    corrections are made on the registrant's page or through the API."""
    specs: dict[tuple[Status, Kind], None] = {}
    for (_, to), kind in lifecycle.TRANSITIONS.items():
        if kind not in lifecycle.NOTE_REQUIRED:
            specs[(to, kind)] = None
    order = {s: i for i, s in enumerate(Status)}
    return [
        (f"status_{kind.value}_to_{to.value}", to, kind)
        for to, kind in sorted(specs, key=lambda p: (order[p[0]], list(Kind).index(p[1])))
    ]


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:NAMES_PER_MESSAGE])
    rest = len(names) - NAMES_PER_MESSAGE
    return f"{shown} and {rest} more" if rest > 0 else shown


def _make_status_action(name: str, to: Status, kind: Kind):
    def action(modeladmin: RegistrantAdmin, request, queryset):
        modeladmin.change_status(request, queryset, to, kind)

    action.__name__ = name
    return admin.action(description=action_label(to, kind), permissions=[KIND_PERMISSION[kind]])(
        action
    )
