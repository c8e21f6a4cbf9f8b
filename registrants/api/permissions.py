"""Who may call what: each view names the model permissions each method needs.

Roles are Django groups holding model permissions (see
registrants/roles.py); this class only checks them, so the admin and the
API agree on who may do what.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from registrants.permissions import may_access_event

EVENT_REFUSAL = "You are not assigned to this event."


class RolePermission(BasePermission):
    """Grants a request when the user holds every permission the view lists
    for the method in `required_perms` (a dict of method -> permission list).
    A method missing from the dict is refused.

    A view of one event names the URL keyword holding the event's id in
    `event_kwarg` ("event_id" by default); objects with an `event_id` are
    checked too: outside the user's events the answer is 403."""

    message = "Your role may not do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        required = getattr(view, "required_perms", None)
        if required is None:
            return False
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        perms = required.get(method)
        if perms is None:
            # A method the view has no handler for: let it answer 405.
            return getattr(view, request.method.lower(), None) is None
        if not user.has_perms(perms):
            return False
        event_id = view.kwargs.get(getattr(view, "event_kwarg", "event_id"))
        if event_id is not None and not may_access_event(user, int(event_id)):
            self.message = EVENT_REFUSAL
            return False
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        event_id = getattr(obj, "event_id", None)
        if event_id is not None and not may_access_event(request.user, event_id):
            self.message = EVENT_REFUSAL
            return False
        return True
