"""Closing a user's open live streams when they lose access to the event.

Every stream joins a group of its user (`user_group`). Whatever may change
what a user may see (their event assignments, their account being
deactivated or deleted, their groups or permissions, a group's permissions)
sends `access.recheck` to the users concerned once the change commits; each
of their streams then reads the user again and closes with 4403 when the
event is no longer theirs (EventStreamConsumer.access_recheck). A rolled-back
change sends nothing; a lost message (Redis down) leaves the stream open
until the page reconnects, when the connect check applies.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from accounts.models import EventAssignment
from accounts.signals import access_changed
from registrants.models import Event
from registrants.permissions import may_access_event

from .publisher import send_to_group

logger = logging.getLogger(__name__)

User = get_user_model()
RECHECK = {"type": "access.recheck"}
ACCESS_LOST = 4403
# A login's own write changes nobody's access.
_UNRELATED_FIELDS = frozenset({"last_login"})


def user_group(user_id: int) -> str:
    """The channel-layer group of one user's live streams."""
    return f"user.{user_id}"


def notify_on_commit(user_ids: Iterable[int | None]) -> None:
    """Ask these users' streams to check their access once the change commits."""
    ids = sorted({uid for uid in user_ids if uid is not None})
    if not ids:
        return

    def send() -> None:
        for uid in ids:
            send_to_group(user_group(uid), dict(RECHECK))

    transaction.on_commit(send)


@database_sync_to_async
def close_code_now(user_id: int, event_id: int) -> int:
    """0 while the user (read afresh: the connection's user object caches its
    permissions and events) may still read the event, else ACCESS_LOST."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_perm("registrants.view_event"):
        return ACCESS_LOST
    if not may_access_event(user, event_id) or not Event.objects.filter(pk=event_id).exists():
        return ACCESS_LOST
    return 0


def _users_of_groups(group_ids: Iterable[int]) -> list[int]:
    return list(User.objects.filter(groups__in=list(group_ids)).values_list("pk", flat=True))


@receiver(post_save, sender=User, dispatch_uid="live.user_saved")
def _user_saved(sender, instance, created, update_fields=None, **kwargs) -> None:
    if created or (update_fields is not None and set(update_fields) <= _UNRELATED_FIELDS):
        return
    notify_on_commit([instance.pk])


@receiver(post_delete, sender=User, dispatch_uid="live.user_deleted")
def _user_deleted(sender, instance, **kwargs) -> None:
    notify_on_commit([instance.pk])


@receiver(post_save, sender=EventAssignment, dispatch_uid="live.assignment_saved")
@receiver(post_delete, sender=EventAssignment, dispatch_uid="live.assignment_deleted")
def _assignment_changed(sender, instance, **kwargs) -> None:
    # Added as well as removed: a first assignment limits a user who could
    # read every event to that one (decision 0110).
    notify_on_commit([instance.user_id])


@receiver(access_changed, dispatch_uid="live.access_changed")
def _access_changed(sender, user_ids, **kwargs) -> None:
    # Writes that send no model signal (bulk_create, QuerySet.update).
    notify_on_commit(user_ids)


@receiver(pre_delete, sender=Group, dispatch_uid="live.group_deleted")
def _group_deleted(sender, instance, **kwargs) -> None:
    # Before the delete: afterwards the memberships are gone.
    notify_on_commit(_users_of_groups([instance.pk]))


def _memberships_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if action not in ("pre_clear", "post_add", "post_remove"):
        return
    if action == "pre_clear":
        # post_clear no longer knows who was in it; collect them before.
        pk_set = None
    if isinstance(instance, User):
        notify_on_commit([instance.pk])
    elif isinstance(instance, Group):
        if sender is User.groups.through:  # users added to or removed from a group
            notify_on_commit(pk_set if pk_set is not None else _users_of_groups([instance.pk]))
        else:  # the group's permissions changed
            notify_on_commit(_users_of_groups([instance.pk]))
    elif isinstance(instance, Permission):
        if sender is Group.permissions.through:
            groups = (
                pk_set if pk_set is not None else instance.group_set.values_list("pk", flat=True)
            )
            notify_on_commit(_users_of_groups(groups))
        else:
            notify_on_commit(
                pk_set if pk_set is not None else instance.user_set.values_list("pk", flat=True)
            )


for _through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
    m2m_changed.connect(
        _memberships_changed, sender=_through, dispatch_uid=f"live.m2m.{_through.__name__}"
    )
