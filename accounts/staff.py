"""Staff accounts as organisers manage them from the pages: create, change
role and events, reset a password, deactivate, issue and revoke API tokens.

Roles are Django groups (named by the caller: the domain's roles.py owns
them, and this app sits below the domain). Every write here moves the
credentials generation, through the signals of accounts.receivers or
explicitly where a bulk write sends none, so caches see it on the next
request.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from . import generation
from .models import ApiToken, EventAssignment
from .signals import access_changed

PASSWORD_BYTES = 12  # 16 URL-safe characters


class StaffError(Exception):
    """A refused change, with a message for the page."""


def new_password() -> str:
    """A generated password, shown once to the organiser."""
    return secrets.token_urlsafe(PASSWORD_BYTES)


def staff_create(
    *,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    event_ids: Iterable[int],
) -> tuple[Any, str]:
    """A new active account with the role (a group name) and events; returns
    the user and a generated password (shown once). Raises StaffError when
    the username is taken."""
    User = get_user_model()
    password = new_password()
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise StaffError(f"The username {username!r} is taken.")
        user = User(username=username, first_name=first_name, last_name=last_name, email=email)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        _set_events(user, event_ids)
    return user, password


def staff_update(*, user: Any, role: str, event_ids: Iterable[int]) -> None:
    """Set the user's one role and their events (none: every event)."""
    with transaction.atomic():
        user.groups.set([Group.objects.get(name=role)])
        _set_events(user, event_ids)


def _set_events(user: Any, event_ids: Iterable[int]) -> None:
    wanted = set(event_ids)
    have = set(EventAssignment.objects.filter(user=user).values_list("event_id", flat=True))
    EventAssignment.objects.filter(user=user, event_id__in=have - wanted).delete()
    # bulk_create sends no post_save: move the generation here.
    EventAssignment.objects.bulk_create(
        EventAssignment(user=user, event_id=event_id) for event_id in sorted(wanted - have)
    )
    if wanted != have:
        generation.bump()
        access_changed.send(sender=EventAssignment, user_ids=[user.pk])


def staff_reset_password(*, user: Any) -> str:
    """A new generated password for the user (shown once); the old one and
    the user's sessions stop working."""
    password = new_password()
    user.set_password(password)
    user.save(update_fields=["password"])
    return password


def staff_set_active(*, user: Any, active: bool, by: Any) -> None:
    """Deactivate (every token and session refused on the next request) or
    reactivate an account. An organiser may not deactivate themself."""
    if not active and user.pk == by.pk:
        raise StaffError("You cannot deactivate your own account.")
    user.is_active = active
    user.save(update_fields=["is_active"])


def token_revoke(*, user: Any, token_id: int) -> bool:
    """Delete one of the user's API tokens; True when it existed. Refused on
    the next request in every process (the delete moves the generation)."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        return False
    token.delete()
    return True
