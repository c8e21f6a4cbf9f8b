# ruff: noqa: S608, S611  (table and column names come from the models; no value is interpolated)
"""Authentication backend: Django's ModelBackend, with what every request
needs of its user read in one query instead of four.

A logged-in request loads its user (Django's `get_user`), then checks
permissions, the page header shows the user's groups, and a staff member's
events limit what they see. ModelBackend reads these in four round trips;
on a busy machine each costs more than the query itself. Here
`get_user` reads the user row with their permissions, group names and
assigned events in one statement. With Redis the user so read is kept
there under the credentials generation it was read under, as API tokens
are (accounts/generation.py): a change to who may do what moves the
generation, and every process reads the user again on its next request
(decision 0280).
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, Value
from django.db.models.expressions import RawSQL

from config.cache import cache

from . import generation
from .models import EventAssignment

logger = logging.getLogger(__name__)

_GROUPS_ATTR = "_group_names_cache"
# The events a user is assigned to, read with the user (registrants.permissions
# decides what they mean: none assigned is every event).
ASSIGNMENTS_ATTR = "_event_assignment_ids"


class ModelBackend(DjangoModelBackend):
    """ModelBackend whose get_user loads permissions, groups and assigned
    events with the user, and whose get_all_permissions is one query for a
    user loaded otherwise."""

    def get_user(self, user_id: Any) -> Any | None:
        """The active user `user_id` with what requests ask of them."""
        user = cached_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

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


def _list_of(select: str) -> str:
    """A subquery's one column (named v) as a list value: an array on
    PostgreSQL, a JSON array on SQLite (decoded by _as_list)."""
    if connection.vendor == "postgresql":
        return f"ARRAY({select})"
    return f"(SELECT json_group_array(v) FROM ({select}))"


def _as_list(value: Any) -> list[Any]:
    return json.loads(value) if isinstance(value, str) else list(value or [])


# Compiled with this id, then run with the user's (_statement()).
_PLACEHOLDER = -1


@functools.cache
def _statement(alias: str, vendor: str) -> str:
    """The user query's SQL, compiled once per database: compiling it (three
    list subqueries) cost more than running it. Its one parameter is the
    user's id. `vendor` only keys the cache (_list_of's SQL depends on it)."""
    User = get_user_model()
    user_table, pk = User._meta.db_table, User._meta.pk.column
    user_perms = User.user_permissions.through._meta.db_table
    user_groups = User.groups.through._meta.db_table
    group_perms = Group.permissions.through._meta.db_table
    outer = f'"{user_table}"."{pk}"'
    perms = _list_of(
        "SELECT ct.app_label || '.' || p.codename AS v "
        f"FROM {Permission._meta.db_table} p "
        f"JOIN {ContentType._meta.db_table} ct ON ct.id = p.content_type_id "
        f'WHERE "{user_table}"."is_superuser" OR p.id IN ('
        f"SELECT permission_id FROM {user_perms} WHERE user_id = {outer} "
        f"UNION ALL SELECT gp.permission_id FROM {group_perms} gp "
        f"JOIN {user_groups} ug ON ug.group_id = gp.group_id WHERE ug.user_id = {outer})"
    )
    groups = _list_of(
        f"SELECT g.name AS v FROM {Group._meta.db_table} g "
        f"JOIN {user_groups} ug ON ug.group_id = g.id WHERE ug.user_id = {outer}"
    )
    events = _list_of(
        f"SELECT event_id AS v FROM {EventAssignment._meta.db_table} WHERE user_id = {outer}"
    )
    query = User._default_manager.annotate(
        _perm_list=RawSQL(perms, ()),
        _group_list=RawSQL(groups, ()),
        _event_list=RawSQL(events, ()),
    ).filter(pk=_PLACEHOLDER)
    sql, params = query.query.get_compiler(using=alias).as_sql()
    if params != (_PLACEHOLDER,):
        raise RuntimeError("the user statement's one parameter must be the user's id")
    return sql


def load_user(user_id: Any) -> Any | None:
    """The user `user_id` (None if there is none) with their permissions,
    group names and assigned events already on the object: one query."""
    User = get_user_model()
    try:
        pk = User._meta.pk.get_prep_value(User._meta.pk.to_python(user_id))
    except (ValidationError, ValueError, TypeError):
        return None
    sql = _statement(connection.alias, connection.vendor)
    found = list(User._default_manager.raw(sql, (pk,)))
    if not found:
        return None
    user: Any = found[0]  # the attributes are Django's and this module's, not the model's
    # The shapes ModelBackend.get_all_permissions and group_names keep; an
    # inactive user's permissions are never looked at (get_all_permissions).
    user._perm_cache = set(_as_list(user.__dict__.pop("_perm_list")))
    setattr(user, _GROUPS_ATTR, sorted(_as_list(user.__dict__.pop("_group_list"))))
    setattr(user, ASSIGNMENTS_ATTR, frozenset(_as_list(user.__dict__.pop("_event_list"))))
    return user


def cached_user(user_id: Any) -> Any | None:
    """load_user through the shared cache: with Redis, one cache round trip
    instead of a database one while the credentials generation the user was
    read under is current (kept TOKEN_CACHE_SECONDS at most). Without Redis,
    or with it down, load_user."""
    User = get_user_model()
    try:
        pk = User._meta.pk.to_python(user_id)
    except (ValidationError, ValueError, TypeError):
        return None
    if not generation.shared():
        return load_user(pk)
    key = f"session-user:{pk}"
    try:
        values = cache.get_many([key, generation.CACHE_KEY])
        current = values.get(generation.CACHE_KEY)
        if current is None:
            current = generation.initialise()
    except Exception:  # a cache outage must not log everyone out
        logger.warning("user cache unavailable; reading the database")
        return load_user(pk)
    entry = values.get(key)
    if entry is not None and entry[1] == current:
        return entry[0]
    user = load_user(pk)
    if user is not None:
        try:
            # Under the generation read BEFORE the database: if a change
            # committed meanwhile, this entry is never trusted.
            cache.set(key, (user, current), settings.TOKEN_CACHE_SECONDS)
        except Exception:
            logger.warning("user cache unavailable; not caching")
    return user


def group_names(user: Any) -> list[str]:
    """The names of the user's groups, sorted: from the permissions query
    when it ran for this request, else read now."""
    names = getattr(user, _GROUPS_ATTR, None)
    if names is None:
        names = sorted(user.groups.values_list("name", flat=True))
    return names
