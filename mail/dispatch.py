"""Where queued messages are sent from: a Celery worker when a broker is
configured, else a daemon thread of this process (the embedded default,
which writes e-mails to files); tests may send inline (config/jobs.py's
runner decides for every kind of job alike).

Handing a message over can fail (the broker is down, the process exits
with the thread); the row stays queued and the sweep sends it again.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone

from config import jobs

from . import sending
from .models import Message, MessageStatus

logger = logging.getLogger(__name__)

_last_sweep = 0.0
_sweep_lock = threading.Lock()


def dispatch_on_commit(message_ids: list[int]) -> None:
    """Send the messages once the caller's transaction commits: never from
    inside it (a rollback would have sent a message about nothing)."""
    if message_ids:
        transaction.on_commit(lambda: dispatch(message_ids))


def dispatch(message_ids: Iterable[int]) -> None:
    """Hand messages to their sender; never raises (the sweep retries)."""
    ids = list(message_ids)
    how = jobs.runner()
    if how == "celery":
        from .tasks import send_message

        for message_id in ids:
            jobs.redispatch(send_message.delay, message_id, "mail")
    elif how == "inline":
        send_until_settled(ids, wait=False)
    else:
        _maybe_sweep_in_thread(ids)


def send_until_settled(message_ids: Iterable[int], *, wait: bool = True) -> None:
    """Send each message, retrying after its backoff (slept when `wait`)
    until it is sent, bounced or failed: the thread and inline senders."""
    for message_id in message_ids:
        while True:
            result = sending.attempt(message_id)
            if result.retry_in is None:
                break
            if wait:
                time.sleep(result.retry_in)


def due_ids(limit: int = 500) -> list[int]:
    """Queued messages nobody holds whose retry time has come and which were
    queued more than MAIL_SWEEP_AFTER_SECONDS ago (younger ones are still
    on their way from their commit)."""
    now = timezone.now()
    return list(
        Message.objects.filter(status=MessageStatus.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(created_at__lt=now - timedelta(seconds=settings.MAIL_SWEEP_AFTER_SECONDS))
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


def sweep() -> list[int]:
    """Dispatch the messages left queued (a lost hand-over, a retry whose
    task was lost, a restart); returns their ids."""
    ids = due_ids()
    if ids:
        logger.info("mail sweep: sending %s queued messages again", len(ids))
        dispatch(ids)
    return ids


def _maybe_sweep_in_thread(ids: list[int]) -> None:
    """The embedded default has no beat: each hand-over also picks up what
    an earlier process left queued, at most once a minute."""
    global _last_sweep
    with _sweep_lock:
        now = time.monotonic()
        sweep_too = now - _last_sweep > settings.MAIL_SWEEP_AFTER_SECONDS
        if sweep_too:
            _last_sweep = now
    context = contextvars.copy_context()
    threading.Thread(
        target=context.run, args=(_thread_main, ids, sweep_too), name="mail-send", daemon=True
    ).start()


def _thread_main(ids: list[int], sweep_too: bool) -> None:
    try:
        if sweep_too:
            ids = list(dict.fromkeys([*ids, *due_ids()]))
        send_until_settled(ids)
    except Exception:
        logger.exception("sending messages %s failed", ids[:20])
    finally:
        connections.close_all()  # this thread's connections only
