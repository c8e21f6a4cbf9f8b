"""Writing webhook endpoints and replaying deliveries. Each change to an
endpoint is audited: it decides where registrants' data goes."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.models import Action
from audit.services import record as audit_record
from registrants.errors import ApplicationError
from registrants.models import Event
from registrants.permissions import P_VIEW_CODE

from . import addresses, runner
from .models import Delivery, Endpoint, new_secret
from .payloads import TYPES

EDITABLE = ("url", "description", "include_check_in_codes", "active", "event_types")


def _event_types(kinds: Any) -> list[str]:
    """The kinds an endpoint receives, without repeats, in TYPES' order (empty:
    every kind). Raises validation_error naming an unknown kind."""
    if not isinstance(kinds, list | tuple) or not all(isinstance(k, str) for k in kinds):
        raise ApplicationError(
            "validation_error",
            "event_types must be a list of kinds.",
            fields={"event_types": ["Expected a list of kinds."]},
        )
    unknown = sorted(set(kinds) - set(TYPES))
    if unknown:
        message = f"Unknown kind: {', '.join(unknown)}. Known: {', '.join(TYPES)}."
        raise ApplicationError("validation_error", message, fields={"event_types": [message]})
    return [kind for kind in TYPES if kind in kinds]


def _may_allow_codes(actor: Any, include_check_in_codes: bool) -> None:
    # A code is a door key: only someone who may see codes may send them on.
    if include_check_in_codes and not (actor is not None and actor.has_perm(P_VIEW_CODE)):
        raise ApplicationError(
            "permission_denied",
            "Only a user who may see check-in codes may send them to an endpoint.",
        )


def _audit(endpoint: Endpoint, change: str, actor: Any, fields: list[str]) -> None:
    audit_record(
        action=Action.WEBHOOK_CHANGED,
        actor=actor,
        event_id=endpoint.event_id,
        details={"endpoint": endpoint.pk, "change": change, "url": endpoint.url, "fields": fields},
    )


def endpoint_create(
    *,
    event_id: int,
    url: str,
    description: str = "",
    include_check_in_codes: bool = False,
    event_types: list[str] | tuple[str, ...] = (),
    actor: Any = None,
) -> Endpoint:
    """Register an endpoint for an event's registrations and status changes
    (the kinds in `event_types`; empty: every kind). Raises validation_error
    (a URL refused by addresses.resolve, an unknown kind) and
    permission_denied (codes asked for by someone who may not see them)."""
    _may_allow_codes(actor, include_check_in_codes)
    kinds = _event_types(list(event_types))
    addresses.resolve(url)
    with transaction.atomic():
        if not Event.objects.filter(pk=event_id).exists():
            raise ApplicationError("not_found", "No such event.")
        endpoint = Endpoint.objects.create(
            event_id=event_id,
            url=url,
            description=description,
            include_check_in_codes=include_check_in_codes,
            event_types=kinds,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        _audit(endpoint, "created", actor, ["url", "include_check_in_codes", "event_types"])
    return endpoint


def endpoint_update(*, endpoint_id: int, actor: Any = None, **changes: Any) -> Endpoint:
    """Change an endpoint's EDITABLE fields. Turning `active` on again also
    clears a disablement after failures (its recorded changes then go out).
    Raises not_found, validation_error, permission_denied."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ApplicationError("validation_error", f"Not editable: {', '.join(sorted(unknown))}.")
    if "event_types" in changes:
        changes["event_types"] = _event_types(changes["event_types"])
    if "url" in changes:
        addresses.resolve(changes["url"])
    if changes.get("include_check_in_codes"):
        _may_allow_codes(actor, True)
    with transaction.atomic():
        endpoint = Endpoint.objects.select_for_update().filter(pk=endpoint_id).first()
        if endpoint is None:
            raise ApplicationError("not_found", "No such webhook endpoint.")
        fields = [name for name, value in changes.items() if getattr(endpoint, name) != value]
        for name in fields:
            setattr(endpoint, name, changes[name])
        if changes.get("active") and endpoint.disabled_at is not None:
            endpoint.disabled_at, endpoint.disabled_reason = None, ""
            endpoint.consecutive_failures = 0
            fields.append("disabled_at")
        if "include_check_in_codes" in fields and not endpoint.include_check_in_codes:
            # Bodies already built with codes are built again without them.
            endpoint.deliveries.filter(state=Delivery.State.PENDING).update(body="")
        if fields:
            endpoint.save()
            _audit(endpoint, "updated", actor, fields)
    transaction.on_commit(runner.kick)
    return endpoint


def endpoint_rotate_secret(*, endpoint_id: int, actor: Any = None) -> Endpoint:
    """A new signing secret (the old one stops at once). Raises not_found."""
    with transaction.atomic():
        endpoint = Endpoint.objects.select_for_update().filter(pk=endpoint_id).first()
        if endpoint is None:
            raise ApplicationError("not_found", "No such webhook endpoint.")
        endpoint.secret = new_secret()
        endpoint.save(update_fields=["secret", "updated_at"])
        _audit(endpoint, "secret_rotated", actor, ["secret"])
    return endpoint


def endpoint_delete(*, endpoint_id: int, actor: Any = None) -> None:
    """Remove an endpoint with its delivery log. Raises not_found."""
    with transaction.atomic():
        endpoint = Endpoint.objects.select_for_update().filter(pk=endpoint_id).first()
        if endpoint is None:
            raise ApplicationError("not_found", "No such webhook endpoint.")
        _audit(endpoint, "deleted", actor, [])
        endpoint.delete()


def delivery_replay(*, delivery_id: int, actor: Any = None) -> Delivery:
    """Send a delivery again, as a new delivery with the same body (and the
    same payload id). Raises not_found, and conflict when its endpoint is
    switched off or disabled (enable it first)."""
    now = timezone.now()
    with transaction.atomic():
        original = Delivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
        if original is None:
            raise ApplicationError("not_found", "No such delivery.")
        if not original.endpoint.sending:
            raise ApplicationError(
                "conflict", "The endpoint is switched off or disabled; enable it first."
            )
        replay = Delivery.objects.create(
            endpoint=original.endpoint,
            status_change_id=original.status_change_id,
            registrant_id=original.registrant_id,
            replay_of=original,
            body=original.body,
            next_attempt_at=now,
            created_at=now,
        )
    transaction.on_commit(runner.kick)
    return replay
