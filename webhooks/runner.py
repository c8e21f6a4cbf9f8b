"""Who sends due deliveries: Celery (beat runs tasks.send_due every
WEBHOOK_POLL_SECONDS) with a broker, else one daemon thread of the web
process (the embedded default), woken at once by a status change made in
this process and otherwise polling, so that changes written by the
gateway's SQL or an import go out too.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connections

from config import jobs

logger = logging.getLogger(__name__)

_wake = threading.Event()
_stop = threading.Event()
_started = threading.Lock()
_thread: threading.Thread | None = None


def start_embedded() -> bool:
    """Start the sending thread of this process, once, when there is no
    Celery broker. True when it runs (now or already)."""
    global _thread
    if jobs.runner() == "celery" or not settings.WEBHOOK_EMBEDDED_SENDER:
        return False
    with _started:
        if _thread is None or not _thread.is_alive():
            _stop.clear()
            _thread = threading.Thread(target=_loop, name="webhooks", daemon=True)
            _thread.start()
    return True


def stop_embedded() -> None:
    """Stop the sending thread after its current round (tests)."""
    global _thread
    with _started:
        if _thread is not None:
            _stop.set()
            _wake.set()
            _thread.join(timeout=30)
            _thread = None


def kick() -> None:
    """Ask the embedded thread to look for due deliveries now (a no-op
    without it: beat looks every few seconds)."""
    _wake.set()


def _loop() -> None:
    from .dispatch import send_due

    while not _stop.is_set():
        _wake.wait(settings.WEBHOOK_POLL_SECONDS)
        _wake.clear()
        if _stop.is_set():
            break
        try:
            close_old_connections()
            while send_due():
                pass
        except Exception:
            logger.exception("sending webhooks failed; trying again at the next poll")
            connections.close_all()
    connections.close_all()
