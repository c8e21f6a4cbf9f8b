"""Sending deliveries: claim the due ones, POST each, log the answer, and
schedule the retry (exponential backoff) or give up; disable an endpoint
after WEBHOOK_DISABLE_AFTER_FAILURES failed attempts in a row.

The schedule lives in the database (`next_attempt_at`), so retries survive
a restart and the same code runs on a Celery worker (tasks.py) and in the
embedded default's thread (runner.py). A delivery is claimed with a
conditional UPDATE (a lease): two senders never both take it, and a sender
that dies leaves it to the next one when the lease runs out. Delivery is at
least once; receivers deduplicate on the payload's `id`.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from registrants.errors import ApplicationError
from registrants.models import StatusChange

from . import addresses, payloads, sending, signing
from .models import Attempt, Delivery, Endpoint

logger = logging.getLogger(__name__)
BATCH = 50


def _lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 3 + 30)


def backoff(attempts: int) -> datetime.timedelta:
    """The wait after the `attempts`-th failed attempt: base, 2 x base, 4 x base, ... capped."""
    seconds = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)
    return datetime.timedelta(seconds=min(seconds, settings.WEBHOOK_RETRY_MAX_SECONDS))


def due_ids(*, limit: int = BATCH) -> list[int]:
    """Deliveries whose attempt is due, of endpoints that are sending, oldest first."""
    now = timezone.now()
    return list(
        Delivery.objects.filter(
            state=Delivery.State.PENDING,
            next_attempt_at__lte=now,
            endpoint__active=True,
            endpoint__disabled_at__isnull=True,
        )
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def claim(delivery_id: int) -> bool:
    """Take a due delivery for one attempt; False when another sender has it."""
    now = timezone.now()
    return bool(
        Delivery.objects.filter(pk=delivery_id, state=Delivery.State.PENDING)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .update(leased_until=now + _lease())
    )


def claim_due(*, limit: int = BATCH) -> list[int]:
    """Claim up to `limit` due deliveries; the ids this sender now holds."""
    return [pk for pk in due_ids(limit=limit) if claim(pk)]


def send_due(*, limit: int = BATCH) -> int:
    """Claim and attempt the due deliveries, one after the other. Returns
    the attempts made."""
    made = 0
    for pk in claim_due(limit=limit):
        made += attempt(pk) is not None
    return made


def _body(delivery: Delivery) -> str:
    """The delivery's body, built at its first attempt and kept."""
    if delivery.body:
        return delivery.body
    payload = payloads.build(
        delivery.status_change_id,
        include_check_in_code=delivery.endpoint.include_check_in_codes,
    )
    body = payloads.encode(payload)
    Delivery.objects.filter(pk=delivery.pk).update(body=body)
    delivery.body = body
    return body


def attempt(delivery_id: int) -> Attempt | None:
    """One POST of a delivery this sender claimed; None when there was
    nothing to send (delivered meanwhile, or the endpoint stopped)."""
    delivery = Delivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.state != Delivery.State.PENDING:
        return None
    endpoint = delivery.endpoint
    if not endpoint.sending:
        Delivery.objects.filter(pk=delivery.pk).update(leased_until=None)
        return None
    try:
        body = _body(delivery).encode("utf-8")
    except StatusChange.DoesNotExist:
        Delivery.objects.filter(pk=delivery.pk).update(state=Delivery.State.FAILED)
        return None
    headers = {
        signing.HEADER: signing.header_value(endpoint.secret, body),
        "Webhook-Id": delivery.event_id_text,
        "Webhook-Delivery": str(delivery.pk),
    }
    try:
        target = addresses.resolve(endpoint.url)
    except ApplicationError as refused:
        response = sending.Response(None, "", 0, error=refused.message[:300])
    else:
        response = sending.post(target, body, headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    return record(delivery, response)


def record(delivery: Delivery, response: sending.Response) -> Attempt:
    """Log an attempt and move the delivery on: delivered, retried later, or failed."""
    now = timezone.now()
    ok = response.status_code is not None and 200 <= response.status_code < 300
    with transaction.atomic():
        logged = Attempt.objects.create(
            delivery=delivery,
            at=now,
            status_code=response.status_code,
            response_excerpt=response.excerpt[:500],
            duration_ms=response.duration_ms,
            error=response.error[:300],
        )
        delivery.attempts += 1
        delivery.leased_until = None
        endpoints = Endpoint.objects.filter(pk=delivery.endpoint_id)
        if ok:
            delivery.state, delivery.delivered_at = Delivery.State.DELIVERED, now
            endpoints.update(consecutive_failures=0)
        else:
            if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
                delivery.state = Delivery.State.FAILED
            else:
                delivery.next_attempt_at = now + backoff(delivery.attempts)
            endpoints.update(consecutive_failures=F("consecutive_failures") + 1)
            _disable_if_failing(delivery.endpoint_id, now)
        delivery.save(
            update_fields=["attempts", "leased_until", "state", "delivered_at", "next_attempt_at"]
        )
    return logged


def _disable_if_failing(endpoint_id: int, now: datetime.datetime) -> None:
    limit = settings.WEBHOOK_DISABLE_AFTER_FAILURES
    disabled = Endpoint.objects.filter(
        pk=endpoint_id, consecutive_failures__gte=limit, disabled_at__isnull=True
    ).update(
        disabled_at=now,
        disabled_reason=f"Disabled after {limit} failed attempts in a row. Changes are "
        "still recorded and are sent once the endpoint is enabled again.",
    )
    if disabled:
        logger.warning("webhook endpoint %s disabled after %s failures", endpoint_id, limit)
