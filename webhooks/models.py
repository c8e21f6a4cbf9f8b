"""Webhook endpoints of an event and the deliveries to them.

A delivery row is written by a database trigger on the history table
(migrations 0002 and 0003) in the transaction of the status change itself, whatever
wrote it (services, the gateway's SQL, imports, seeders): a change that
commits has its deliveries, a rolled-back one has none. See
docs/decisions/0225-webhook-outbox-trigger.md.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


def new_secret() -> str:
    """The signing secret of a new endpoint: 256 bits, URL-safe."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


class Endpoint(models.Model):
    """A URL of an organiser's system that hears about an event's changes."""

    event = models.ForeignKey(
        "registrants.Event", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # The HMAC key; kept in clear, since signing needs it (shown to organisers).
    secret = models.CharField(max_length=80, default=new_secret)
    # A check-in code is a door key: sent only when someone who may see codes allowed it.
    include_check_in_codes = models.BooleanField(default=False)
    # The kinds of change sent (payloads.TYPES), in that order; empty: every
    # kind, including kinds added later. The outbox trigger reads it.
    event_types = models.JSONField(default=list, blank=True)
    # The organiser's switch: while off, changes are not recorded for it.
    active = models.BooleanField(default=True)
    # Set when repeated failures stopped its deliveries; changes are still
    # recorded and go out once an organiser enables it again.
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        # The trigger's probe on every history row: (event, active).
        indexes = [models.Index(fields=["event", "active"], name="webhook_endpoint_event")]

    def __str__(self) -> str:
        return self.url

    @property
    def sending(self) -> bool:
        return self.active and self.disabled_at is None


class Delivery(models.Model):
    """One status change (or a replay of it) for one endpoint, until it is
    delivered or gives up. `body` is the exact JSON sent, fixed at the first
    attempt so that retries and replays carry the same bytes."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    # A plain id, no constraint: history rows leave only with their
    # registrant (the operators' purge), which removes these through
    # `registrant` below.
    status_change_id = models.BigIntegerField()
    registrant = models.ForeignKey(
        "registrants.Registrant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    replay_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A sender's claim: another sender leaves the delivery alone until then.
    leased_until = models.DateTimeField(null=True, blank=True)
    body = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_endpoint"),
            models.Index(fields=["registrant"], name="webhook_delivery_registrant"),
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=Q(state="pending"),
            ),
        ]
        constraints = [
            # One delivery per change per endpoint (replays aside).
            models.UniqueConstraint(
                fields=["endpoint", "status_change_id"],
                condition=Q(replay_of__isnull=True),
                name="webhook_delivery_once",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "delivered", "failed"]),
                name="webhook_delivery_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} of change {self.status_change_id} ({self.state})"

    @property
    def last_attempt(self) -> Attempt | None:
        """The latest attempt (from the prefetched log when there is one)."""
        attempts = list(self.attempt_log.all())
        return attempts[-1] if attempts else None

    @property
    def event_id_text(self) -> str:
        """The payload's id: the same for every attempt and replay of a change."""
        return f"evt_{self.status_change_id}"


class Attempt(models.Model):
    """One HTTP request of a delivery and what came back."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # The start of the response body (it may echo personal data: erased with them).
    response_excerpt = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"attempt {self.pk}: {self.status_code or self.error}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
