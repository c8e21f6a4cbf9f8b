"""Device tokens: created and revoked by organisers (admin and API); scan
conflicts: cleared by organisers once reviewed."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from registrants.errors import ApplicationError
from registrants.models import Event

from .models import DeviceToken, ScanConflict, hash_key, new_device_key


def device_create(*, event_id: int, name: str, created_by: Any = None) -> tuple[DeviceToken, str]:
    """A new scanner token for one event. Returns the device and its key;
    the key is shown once and never stored (only its hash)."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError(
            "validation_error",
            "name: This field may not be blank.",
            fields={"name": ["This field may not be blank."]},
        )
    with transaction.atomic():
        if not Event.objects.filter(pk=event_id).exists():
            raise ApplicationError("not_found", "No such event.")
        # The service user: no password, no role; only the gateway accepts it.
        user = get_user_model().objects.create_user(
            username=f"device-{uuid.uuid4().hex[:12]}", first_name=name[:150]
        )
        key = new_device_key()
        device = DeviceToken.objects.create(
            event_id=event_id,
            name=name,
            user=user,
            key_hash=hash_key(key),
            key_prefix=key[:12],
            created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
        )
    return device, key


def device_revoke(*, device_id: int, event_id: int | None = None) -> DeviceToken:
    """Revoke a device token: refused at once by every gateway process.
    Revoking twice is a no-op."""
    with transaction.atomic():
        devices = DeviceToken.objects.select_for_update()
        if event_id is not None:
            devices = devices.filter(event_id=event_id)
        device = devices.filter(pk=device_id).first()
        if device is None:
            raise ApplicationError("not_found", "No such device.")
        if device.revoked_at is None:
            device.revoked_at = timezone.now()
            device.save(update_fields=["revoked_at"])  # post_save forgets the cached token
    return device


def conflicts_clear(*, event_id: int, conflict_id: int | None = None) -> int:
    """Clear one reviewed scan conflict of the event (`conflict_id`), or all
    of them; returns how many went. Raises not_found for a conflict that is
    not the event's. Clearing makes room under the scanners' open-conflict
    limit (gateway/conflicts.py)."""
    with transaction.atomic():
        rows = ScanConflict.objects.filter(event_id=event_id)
        if conflict_id is not None:
            rows = rows.filter(pk=conflict_id)
            if not rows.exists():
                raise ApplicationError("not_found", "No such conflict in this event.")
        count, _ = rows.delete()
    return count
