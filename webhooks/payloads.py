"""What a webhook says: a versioned JSON document per status change.

Version 1 (PAYLOAD_VERSION) is documented in the OpenAPI schema (schema.py)
and docs/api.md. `id` is the same for every attempt and replay of one
change, for receivers to deduplicate on. The check-in code is present only
for an endpoint allowed it.
"""

from __future__ import annotations

import json
from typing import Any

from registrants.models import StatusChange
from registrants.presenters import actor_display_name

PAYLOAD_VERSION = 1
REGISTERED = "registrant.registered"
STATUS_CHANGED = "registrant.status_changed"
TYPES = (REGISTERED, STATUS_CHANGED)
# What the Webhooks page calls each kind.
TYPE_LABELS = {REGISTERED: "New registrations", STATUS_CHANGED: "Status changes"}


def event_type(from_status: str) -> str:
    """A creation row (no from-status) is a registration; anything else a
    status change. The outbox trigger (webhooks migration 0003) decides the
    same in SQL."""
    return REGISTERED if not from_status else STATUS_CHANGED


def build(status_change_id: int, *, include_check_in_code: bool) -> dict[str, Any]:
    """The payload of one history row, from the registrant as it is now
    (an erased registrant's placeholders, never the erased data)."""
    change = StatusChange.objects.select_related("actor", "registrant__company", "event").get(
        pk=status_change_id
    )
    r = change.registrant
    registrant: dict[str, Any] = {
        "id": r.pk,
        "name": r.name,
        "email": r.email,
        "company": r.company.name if r.company else None,
        "guest_type": r.guest_type,
        "status": r.status,
        "erased": r.erased_at is not None,
    }
    if include_check_in_code:
        registrant["check_in_code"] = r.check_in_code
    return {
        "id": f"evt_{change.pk}",
        "type": event_type(change.from_status),
        "version": PAYLOAD_VERSION,
        "created_at": change.at.isoformat(),
        "event": {"id": change.event_id, "name": change.event.name},
        "data": {
            "change": {
                "id": change.pk,
                "from_status": change.from_status or None,
                "to_status": change.to_status,
                "at": change.at.isoformat(),
                "source": change.source,
                "actor": actor_display_name(change.actor) if change.actor else None,
                "note": change.note,
            },
            "registrant": registrant,
        },
    }


def encode(payload: dict[str, Any]) -> str:
    """The body as sent (and signed): compact JSON, UTF-8."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
