"""What a user's role lets them do to statuses, shared by the API and the pages.

The permissions themselves are defined in roles.py; this module only turns
them into the lifecycle's kinds of move, so that the API's transitions
endpoint and the dashboard's buttons agree on who may make which move.
"""

from __future__ import annotations

from django.db.models import Aggregate, CharField, OuterRef, Subquery

from .lifecycle import Kind


def role_kinds(user) -> frozenset[Kind]:
    """The kinds of status change the user's role may make."""
    if user.has_perm("registrants.change_any_status"):
        return frozenset(Kind)
    if user.has_perm("registrants.move_forward"):
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
    from accounts.models import EventAssignment

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


def accessible_events(user, queryset, field: str = "pk"):
    """`queryset` narrowed to the events `user` may access; `field` names
    the event's id in it (\"pk\" for events, \"event_id\" for registrants)."""
    ids = assigned_event_ids(user)
    if ids is ALL_EVENTS:
        return queryset
    return queryset.filter(**{f"{field}__in": ids})


ORGANISER_PERMISSION = "registrants.change_any_status"


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
