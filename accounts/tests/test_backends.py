"""The authentication backend: Django's permissions, read in one query."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.backends import group_names

pytestmark = pytest.mark.django_db


def _perm(codename: str) -> Permission:
    return Permission.objects.get(codename=codename, content_type__app_label="registrants")


@pytest.fixture
def user():
    user = get_user_model().objects.create_user("perms-user", password="x")  # noqa: S106
    group = Group.objects.create(name="perms-group")
    group.permissions.add(_perm("view_registrant"), _perm("change_registrant"))
    user.groups.add(group)
    user.user_permissions.add(_perm("view_event"), _perm("view_registrant"))
    return get_user_model().objects.get(pk=user.pk)  # no cached relations


def test_a_users_own_and_group_permissions_come_in_one_query(user):
    with CaptureQueriesContext(connection) as queries:
        perms = user.get_all_permissions()
        assert user.has_perms(["registrants.view_event", "registrants.change_registrant"])
        assert group_names(user) == ["perms-group"]
    assert perms == {
        "registrants.view_event",
        "registrants.view_registrant",
        "registrants.change_registrant",
    }
    assert len(queries) == 1
    assert not user.has_perm("registrants.delete_registrant")


def test_an_inactive_user_has_no_permission(user):
    user.is_active = False
    assert user.get_all_permissions() == set()
    assert not user.has_perm("registrants.view_event")


def test_a_superuser_has_every_permission(user):
    user.is_superuser = True
    assert user.get_all_permissions() == {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.select_related("content_type")
    }


def test_a_user_without_any_has_none():
    nobody = get_user_model().objects.create_user("nobody", password="x")  # noqa: S106
    assert nobody.get_all_permissions() == set()
    assert group_names(nobody) == []


def test_group_names_before_any_permission_check_are_read(user):
    assert group_names(user) == ["perms-group"]
