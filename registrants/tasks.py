"""The domain's periodic Celery task: the retention erasure (run by beat,
CELERY_BEAT_SCHEDULE in config/settings/base.py)."""

from __future__ import annotations

from celery import shared_task

from .retention import erase_expired


@shared_task(name="registrants.erase_expired")
def erase_expired_task() -> int:
    """Erase the registrants of expired events; returns how many."""
    return sum(item.erased for item in erase_expired())
