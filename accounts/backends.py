"""Authentication backend: Django's ModelBackend, with a user's permissions
and group names read in one query rather than three (their own
permissions, their groups', then the groups for the page header's role):
every page and API call checks permissions, and on a busy machine each
round trip to the database costs more than the query itself."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.contrib.auth.models import Group, Permission
from django.db.models import Q, Value

_GROUPS_ATTR = "_group_names_cache"


class ModelBackend(DjangoModelBackend):
    """ModelBackend whose get_all_permissions is one query."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        """The user's own and their groups' permissions, cached on the user
        object for the request (as Django's backend does), with the names of
        their groups (group_names)."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                perms = Permission.objects.all()
            else:
                perms = Permission.objects.filter(Q(user=user_obj) | Q(group__user=user_obj))
            pairs = perms.values_list("content_type__app_label", "codename").order_by()
            # A group's row has no app label (every permission has one).
            groups = Group.objects.filter(user=user_obj).values_list(Value(""), "name").order_by()
            rows = list(pairs.union(groups, all=True))
            user_obj._perm_cache = {f"{app}.{name}" for app, name in rows if app}
            setattr(user_obj, _GROUPS_ATTR, sorted(name for app, name in rows if not app))
        return user_obj._perm_cache


def group_names(user: Any) -> list[str]:
    """The names of the user's groups, sorted: from the permissions query
    when it ran for this request, else read now."""
    names = getattr(user, _GROUPS_ATTR, None)
    if names is None:
        names = sorted(user.groups.values_list("name", flat=True))
    return names
