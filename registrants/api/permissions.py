"""Who may call what: each view names the model permissions each method needs.

Roles are Django groups holding model permissions (see
registrants/roles.py); this class only checks them, so the admin and the
API agree on who may do what.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission


class RolePermission(BasePermission):
    """Grants a request when the user holds every permission the view lists
    for the method in `required_perms` (a dict of method -> permission list).
    A method missing from the dict is refused."""

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
        return user.has_perms(perms)
