"""What moves the credentials generation: every change to who may do what.

Event assignments move it too: a cached gateway principal carries its
user's events. Token creation and a login's `last_login` write change nobody's access and
leave the cached tokens alone. A `QuerySet.update()` sends no signal: the
admin's "deactivate" action bumps the generation itself; code that updates
users in bulk must call accounts.generation.bump() (docs/operations.md).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from . import generation
from .models import ApiToken, EventAssignment

User = get_user_model()
_UNRELATED_FIELDS = frozenset({"last_login"})


@receiver(post_save, sender=User, dispatch_uid="accounts.user_saved")
def _user_saved(sender, instance, created, update_fields=None, **kwargs) -> None:
    if created or (update_fields is not None and set(update_fields) <= _UNRELATED_FIELDS):
        return
    generation.bump()


@receiver(post_delete, sender=User, dispatch_uid="accounts.user_deleted")
@receiver(post_delete, sender=Group, dispatch_uid="accounts.group_deleted")
@receiver(post_delete, sender=ApiToken, dispatch_uid="accounts.token_deleted")
@receiver(post_delete, sender=EventAssignment, dispatch_uid="accounts.assignment_deleted")
@receiver(post_save, sender=EventAssignment, dispatch_uid="accounts.assignment_saved")
def _deleted(sender, **kwargs) -> None:
    generation.bump()


def _memberships_changed(sender, action: str, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        generation.bump()


for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
    m2m_changed.connect(
        _memberships_changed, sender=through, dispatch_uid=f"accounts.m2m.{through.__name__}"
    )
