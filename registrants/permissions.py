"""Who may do what: the permission names every app checks, the kinds of
status change a role may make, per-event access, and what the pages show.

roles.py grants the permissions to roles (models.py declares the custom
ones); this module is where the API, the pages, the admin, the gateway and
the live stream read them, so that they agree on who may do what.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Aggregate, CharField, OuterRef, Subquery

from . import lifecycle
from .lifecycle import Kind, Status
from .presenters import action_label

# The permissions, as user.has_perm() takes them.
P_VIEW_EVENT = "registrants.view_event"
P_ADD_EVENT = "registrants.add_event"
P_CHANGE_EVENT = "registrants.change_event"
P_DELETE_EVENT = "registrants.delete_event"
P_VIEW_COMPANY = "registrants.view_company"
P_ADD_COMPANY = "registrants.add_company"
P_CHANGE_COMPANY = "registrants.change_company"
P_DELETE_COMPANY = "registrants.delete_company"
P_VIEW_REGISTRANT = "registrants.view_registrant"
P_ADD_REGISTRANT = "registrants.add_registrant"
P_CHANGE_REGISTRANT = "registrants.change_registrant"
P_DELETE_REGISTRANT = "registrants.delete_registrant"
P_VIEW_HISTORY = "registrants.view_statuschange"
P_MOVE_FORWARD = "registrants.move_forward"
P_CHANGE_ANY_STATUS = "registrants.change_any_status"
P_SCAN = "registrants.scan_code"
P_VIEW_CODE = "registrants.view_check_in_code"
P_EXPORT = "registrants.export_registrants"
P_ADD_WALK_IN = "registrants.add_walk_in"


def role_kinds(user) -> frozenset[Kind]:
    """The kinds of status change the user's role may make."""
    if user.has_perm(P_CHANGE_ANY_STATUS):
        return frozenset(Kind)
    if user.has_perm(P_MOVE_FORWARD):
        return frozenset({Kind.FORWARD})
    return frozenset()


# Per-event access: staff and viewers may be limited to some events
# (accounts.EventAssignment). The rule lives here, for the pages, the API,
# the gateway and the live stream alike.
ALL_EVENTS = None
_CACHE_ATTR = "_assigned_event_ids"


def is_organiser(user) -> bool:
    """An organiser (or a superuser): never limited to events, manages staff."""
    return bool(user and user.is_authenticated and user.has_perm(ORGANISER_PERMISSION))


def assigned_event_ids(user) -> frozenset[int] | None:
    """The events `user` is limited to, or None (ALL_EVENTS) for an organiser
    or a user with no assignment (decision 0110). Read once per user object."""
    if not (user and user.is_authenticated):
        return frozenset()
    if is_organiser(user):
        return ALL_EVENTS
    cached: frozenset[int] | None | bool = getattr(user, _CACHE_ATTR, False)
    if cached is not False:
        assert cached is None or isinstance(cached, frozenset)
        return cached
    from accounts.backends import ASSIGNMENTS_ATTR
    from accounts.models import EventAssignment

    ids = getattr(user, ASSIGNMENTS_ATTR, None)  # read with the user, for a request's user
    if ids is None:
        ids = frozenset(
            EventAssignment.objects.filter(user_id=user.pk).values_list("event_id", flat=True)
        )
    result = ids or ALL_EVENTS
    setattr(user, _CACHE_ATTR, result)
    return result


def may_access_event(user, event_id: int | None) -> bool:
    """True when `user` may see and act on event `event_id` at all (their
    role still decides what they may do there)."""
    ids = assigned_event_ids(user)
    return ids is ALL_EVENTS or event_id in ids


EVENT_REFUSAL = "You are not assigned to this event."


def require_event(user, event_id: int) -> None:
    """PermissionDenied (403) unless `user` may access the event."""
    if not may_access_event(user, event_id):
        raise PermissionDenied(EVENT_REFUSAL)


def accessible_events(user, queryset, field: str = "pk"):
    """`queryset` narrowed to the events `user` may access; `field` names
    the event's id in it (\"pk\" for events, \"event_id\" for registrants)."""
    ids = assigned_event_ids(user)
    if ids is ALL_EVENTS:
        return queryset
    return queryset.filter(**{f"{field}__in": ids})


ORGANISER_PERMISSION = P_CHANGE_ANY_STATUS


def event_limit(*, organiser: bool, joined_ids: str | None) -> frozenset[int] | None:
    """assigned_event_ids from what assigned_ids_expression read: None (all
    events) for an organiser or a user without assignments."""
    if organiser or not joined_ids:
        return ALL_EVENTS
    return frozenset(int(part) for part in joined_ids.split(","))


class _JoinedIds(Aggregate):
    """The ids, comma-separated, on both databases (GROUP_CONCAT on SQLite,
    STRING_AGG on PostgreSQL; Django 5.2 has no portable StringAgg)."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            function="STRING_AGG",
            template="%(function)s(CAST(%(expressions)s AS text), ',')",
            **extra_context,
        )


def assigned_ids_expression(user_field: str) -> Subquery:
    """A subquery of the assigned event ids (comma-separated, or NULL) of the
    user in the outer query's `user_field`, for readers that must answer in
    one statement (the gateway's principal read)."""
    from accounts.models import EventAssignment

    return Subquery(
        EventAssignment.objects.filter(user_id=OuterRef(user_field))
        .values("user_id")
        .annotate(ids=_JoinedIds("event_id"))
        .values("ids")[:1]
    )


# What the pages show a role: the moves of a registrant, the list's bulk
# actions (each with the kind of move it is) and one flag per control.
BULK_ACTIONS: dict[str, tuple[Status, Kind, str]] = {
    name: (to, kind, action_label(to, kind))
    for name, to, kind in [
        ("check_in", Status.CHECKED_IN, Kind.FORWARD),
        ("cancel", Status.CANCELLED, Kind.CANCEL),
    ]
}


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
