"""Scanner devices and the offline scans the gateway refused.

A DeviceToken lets one scanner scan codes of one event, nothing else. Each
device owns a service user (no password, no role): it is the actor of the
history rows the device writes, so history keeps the shape of the Django
path (actor = a user, source = scan) and says which device it was.
The key itself is never stored: only its SHA-256, and a prefix to tell
tokens apart on screen.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models

from registrants.models import Event, Registrant

KEY_PREFIX = "rdd_"  # tells a device key from a user's API token at a glance


def new_device_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class DeviceToken(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="devices")
    name = models.CharField(max_length=100, help_text="E.g. 'Door A, scanner 2'.")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="device_token",
        editable=False,
        help_text="The device's service user: the actor of its scans.",
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(max_length=12, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = "device token"

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ConflictReason(models.TextChoices):
    CANCELLED = "cancelled", "Cancelled meanwhile"
    WAITLISTED = "waitlisted", "On the waitlist"
    UNKNOWN_CODE = "unknown_code", "Unknown code"
    INVALID_TRANSITION = "invalid_transition", "Transition not allowed"
    WRONG_EVENT = "wrong_event", "Code of another event"


class ScanConflict(models.Model):
    """An offline scan that could not be applied when its batch arrived.

    Kept for organisers to resolve by hand; never forced in.
    """

    event = models.ForeignKey(
        Event,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The event where it was scanned (the device's, or the one the batch named).",
    )
    registrant = models.ForeignKey(
        Registrant, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    device = models.ForeignKey(
        DeviceToken, on_delete=models.SET_NULL, related_name="conflicts", null=True, blank=True
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    code = models.CharField(max_length=128)
    mode = models.CharField(max_length=8)
    reason = models.CharField(max_length=24, choices=ConflictReason.choices)
    status = models.CharField(max_length=16, blank=True, help_text="The registrant's status then.")
    nonce = models.CharField(max_length=64)
    scanned_at = models.DateTimeField(help_text="Device time.")
    received_at = models.DateTimeField(help_text="Server time.")

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["event", "-id"], name="scanconflict_event_feed"),
            # The cap per scanner and event (gateway/conflicts.py) counts here.
            models.Index(fields=["actor", "event"], name="scanconflict_actor_event"),
        ]

    def __str__(self) -> str:
        return f"{self.mode} scan refused: {self.reason}"
