"""What webhooks hear from the domain: a person erased (their delivery
bodies and the receivers' answers go), a subject access export (the
deliveries about them), and status changes made in this process (the
embedded sender looks at once instead of at its next poll)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from registrants.signals import (
    personal_data_requested,
    registrants_erasing,
    status_changed,
    statuses_changed,
)

from . import runner
from .models import Attempt, Delivery


@receiver(registrants_erasing, dispatch_uid="webhooks.erase")
def _erase(sender, *, registrant_ids, **kwargs) -> None:
    # Inside the erasure's transaction. A pending delivery keeps its place
    # and is built again from the erased registrant when it is sent.
    ids = list(registrant_ids)
    Delivery.objects.filter(registrant_id__in=ids).exclude(body="").update(body="")
    Attempt.objects.filter(delivery__registrant_id__in=ids).exclude(response_excerpt="").update(
        response_excerpt=""
    )


@receiver(personal_data_requested, dispatch_uid="webhooks.personal_data")
def _personal_data(sender, *, registrant, **kwargs) -> dict[str, Any]:
    rows = (
        Delivery.objects.filter(registrant_id=registrant.pk)
        .select_related("endpoint")
        .order_by("id")
    )
    return {
        "webhook_deliveries": [
            {
                "endpoint": d.endpoint.url,
                "id": d.event_id_text,
                "state": d.state,
                "attempts": d.attempts,
                "created_at": d.created_at.isoformat(),
                "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None,
                "body": d.body or None,
            }
            for d in rows
        ]
    }


@receiver(status_changed, dispatch_uid="webhooks.kick")
@receiver(statuses_changed, dispatch_uid="webhooks.kick_many")
def _kick(sender, **kwargs) -> None:
    runner.kick()
