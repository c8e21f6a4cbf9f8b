"""Reads of webhook endpoints and their delivery log (API and page)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from .models import Attempt, Delivery, Endpoint

LOG_SIZE = 100  # deliveries shown per endpoint, newest first


def endpoints_of(event_id: int) -> QuerySet[Endpoint]:
    """An event's endpoints, oldest first."""
    return Endpoint.objects.filter(event_id=event_id).order_by("id")


def deliveries_of(endpoint_id: int, *, limit: int = LOG_SIZE) -> list[Delivery]:
    """An endpoint's latest deliveries with their attempts (two queries)."""
    return list(
        Delivery.objects.filter(endpoint_id=endpoint_id)
        .order_by("-id")
        .prefetch_related(Prefetch("attempt_log", queryset=Attempt.objects.order_by("id")))[:limit]
    )
