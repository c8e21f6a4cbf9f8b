"""The Celery tasks of webhooks: beat's look for due deliveries, and one
attempt of a delivery on any worker (so a slow receiver holds one worker,
not the others' deliveries)."""

from __future__ import annotations

from config.celery_app import app

from . import dispatch


@app.task(name="webhooks.send_due", ignore_result=True)
def send_due() -> int:
    """Claim the due deliveries and hand each to `deliver`; returns how many."""
    claimed = dispatch.claim_due()
    for pk in claimed:
        deliver.delay(pk)
    return len(claimed)


@app.task(name="webhooks.deliver", acks_late=True, ignore_result=True)
def deliver(delivery_id: int) -> None:
    """One attempt of a claimed delivery. Sent again after a lost worker, it
    may post twice: receivers deduplicate on the payload's id."""
    dispatch.attempt(delivery_id)
