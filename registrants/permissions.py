"""What a user's role lets them do to statuses, shared by the API and the pages.

The permissions themselves are defined in roles.py; this module only turns
them into the lifecycle's kinds of move, so that the API's transitions
endpoint and the dashboard's buttons agree on who may make which move.
"""

from __future__ import annotations

from .lifecycle import Kind


def role_kinds(user) -> frozenset[Kind]:
    """The kinds of status change the user's role may make."""
    if user.has_perm("registrants.change_any_status"):
        return frozenset(Kind)
    if user.has_perm("registrants.move_forward"):
        return frozenset({Kind.FORWARD})
    return frozenset()
