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


def test_get_user_reads_permissions_groups_and_events_with_the_user(user):
    from accounts.backends import ModelBackend
    from accounts.models import EventAssignment
    from registrants.permissions import assigned_event_ids, may_access_event
    from registrants.tests.factories import EventFactory

    mine, other = EventFactory(), EventFactory()
    EventAssignment.objects.create(user=user, event=mine)
    with CaptureQueriesContext(connection) as queries:
        loaded = ModelBackend().get_user(user.pk)
        assert loaded.has_perms(["registrants.view_event", "registrants.change_registrant"])
        assert not loaded.has_perm("registrants.delete_registrant")
        assert group_names(loaded) == ["perms-group"]
        assert assigned_event_ids(loaded) == frozenset({mine.pk})
        assert may_access_event(loaded, mine.pk) and not may_access_event(loaded, other.pk)
    assert len(queries) == 1, [q["sql"] for q in queries.captured_queries]
    assert loaded.get_all_permissions() == user.get_all_permissions()


def test_get_user_of_a_user_without_groups_or_events(db):
    from accounts.backends import ModelBackend
    from registrants.permissions import ALL_EVENTS, assigned_event_ids

    nobody = get_user_model().objects.create_user("lonely", password="x")  # noqa: S106
    loaded = ModelBackend().get_user(nobody.pk)
    assert loaded.get_all_permissions() == set() and group_names(loaded) == []
    assert assigned_event_ids(loaded) is ALL_EVENTS  # no assignment: not limited


def test_get_user_of_a_superuser_has_every_permission(user):
    from accounts.backends import ModelBackend

    get_user_model().objects.filter(pk=user.pk).update(is_superuser=True)
    assert ModelBackend().get_user(user.pk).get_all_permissions() == {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.select_related("content_type")
    }


def test_get_user_refuses_the_inactive_and_the_missing(user):
    from accounts.backends import ModelBackend

    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    assert ModelBackend().get_user(user.pk) is None
    assert ModelBackend().get_user(987654321) is None
    assert ModelBackend().get_user("not a number") is None
