"""Who may see and do what on the pages, from the permissions of roles.py.

Templates hide what a role may not do; the views check the same rules again
on every POST, because a hidden button can still be forged.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from registrants import lifecycle
from registrants.lifecycle import Kind, Status
from registrants.permissions import may_access_event, role_kinds
from registrants.presenters import action_label

P_VIEW_EVENT = "registrants.view_event"
P_VIEW_REGISTRANT = "registrants.view_registrant"
P_VIEW_HISTORY = "registrants.view_statuschange"
P_VIEW_CODE = "registrants.view_check_in_code"
P_CHANGE_REGISTRANT = "registrants.change_registrant"
P_DELETE_REGISTRANT = "registrants.delete_registrant"
P_SCAN = "registrants.scan_code"
P_EXPORT = "registrants.export_registrants"

# The bulk actions of the list, and the kind of move each one is.
BULK_ACTIONS: dict[str, tuple[Status, Kind, str]] = {
    name: (to, kind, action_label(to, kind))
    for name, to, kind in [
        ("check_in", Status.CHECKED_IN, Kind.FORWARD),
        ("cancel", Status.CANCELLED, Kind.CANCEL),
    ]
}


def require_perms(*perms: str) -> Callable:
    """login_required, then 403 unless the user holds every permission and,
    for a page of one event (an `event_id` in the URL), may access it."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_perms(perms):
                raise PermissionDenied("Your role may not open this page.")
            if "event_id" in kwargs:
                require_event(request.user, int(kwargs["event_id"]))
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


def require_event(user, event_id: int) -> None:
    """403 unless `user` may access the event (registrants.permissions)."""
    if not may_access_event(user, event_id):
        raise PermissionDenied(EVENT_REFUSAL)


EVENT_REFUSAL = "You are not assigned to this event."


def transition_targets(user, status: str, kinds: frozenset[Kind] | None = None) -> list[Status]:
    """The statuses this user may move a registrant in `status` to, table order."""
    kinds = role_kinds(user) if kinds is None else kinds
    return [t for t in lifecycle.allowed_targets(status) if lifecycle.kind_of(status, t) in kinds]


def registrant_targets(user, registrant, kinds: frozenset[Kind] | None = None) -> list[Status]:
    """transition_targets for this registrant: none once it is erased."""
    if registrant.erased_at is not None:
        return []
    return transition_targets(user, registrant.status, kinds)


def bulk_actions_for(user) -> list[tuple[str, str]]:
    """(action, label) of the bulk actions the user's role may run."""
    kinds = role_kinds(user)
    return [(key, label) for key, (_, kind, label) in BULK_ACTIONS.items() if kind in kinds]


def capabilities(user) -> dict[str, bool]:
    """What the templates show: one flag per kind of control."""
    kinds = role_kinds(user)
    return {
        "change_status": bool(kinds),
        "edit": user.has_perm(P_CHANGE_REGISTRANT),
        "delete": user.has_perm(P_DELETE_REGISTRANT),
        "scan": user.has_perm(P_SCAN),
        "see_code": user.has_perm(P_VIEW_CODE),
        "bulk": bool(bulk_actions_for(user)),
        "export": user.has_perm(P_EXPORT),
    }
