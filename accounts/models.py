"""Users' API tokens and the credentials generation.

An API token's key is never stored: only its SHA-256 (as the gateway's device
tokens), and a short prefix to tell tokens apart on screen. The key is shown
once, when the token is created (accounts.tokens.token_create).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.key_prefix}… ({self.user})"


class CredentialsGeneration(models.Model):
    """One row: a number bumped, in the same transaction, by every change to
    who may do what (a token deleted, a user deactivated, groups or
    permissions changed). A cached token is trusted only while the generation
    it was read under is the current one. This row is what processes share
    without Redis (the embedded default); with Redis the cache holds a copy
    (accounts.generation)."""

    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "credentials generation"

    def __str__(self) -> str:
        return f"credentials generation {self.value}"


class EventAssignment(models.Model):
    """A staff member or viewer limited to an event. A user with no row here
    keeps access to every event (decision 0110); organisers are never
    limited. The rule is read in registrants.permissions."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_assignments"
    )
    event = models.ForeignKey(
        "registrants.Event", on_delete=models.CASCADE, related_name="assignments"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="unique_event_assignment")
        ]
        verbose_name = "event assignment"

    def __str__(self) -> str:
        return f"{self.user} → event {self.event_id}"
