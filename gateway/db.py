"""The gateway's database: the backend for the default database's engine,
and a scan applied and published so that cancellation cuts neither.

    gateway.tasks        shielded work, the Django thread
    gateway.rows         the reads of a scanned registrant
    gateway.backends     postgresql and sqlite, behind backends.base.Backend
    registrants.sql      every statement that writes a status, history or receipt

See docs/decisions/0007, 0133 and 0030.
"""

from __future__ import annotations

from typing import Any

from django.db import connections

from . import live
from . import scan as rules
from .backends.base import Backend
from .backends.postgresql import PostgresBackend
from .backends.sqlite import SqliteBackend
from .scan import Principal
from .tasks import close_django_connections, drain, in_django_thread, shielded, track

__all__ = [
    "Backend",
    "PostgresBackend",
    "SqliteBackend",
    "backend",
    "close",
    "drain",
    "in_django_thread",
    "scan_and_publish",
    "shielded",
    "track",
]

_backend: Backend | None = None


def backend() -> Backend:
    """The backend for the default database's engine. Read from the settings,
    not from connections["default"]: under ASGI each request runs in its own
    context, where that builds a new DatabaseWrapper (~0.05 ms per scan)."""
    global _backend
    vendor = "postgresql" if "postgresql" in connections.settings["default"]["ENGINE"] else "sqlite"
    if _backend is None or _backend.vendor != vendor:
        _backend = PostgresBackend() if vendor == "postgresql" else SqliteBackend()
    return _backend


async def scan_and_publish(
    code: str, mode: str, principal: Principal, nonce: str | None, now
) -> tuple[int, dict[str, Any]]:
    """Apply one scan and publish its live message after commit: (http
    status, body). Cancelling the caller cuts neither. A scan without nonce
    on PostgreSQL joins a group, which runs as its own task and publishes
    its changes itself: the caller only awaits a future (no task of its own
    per scan; cancelling the caller cancels only that future)."""
    current = backend()
    if isinstance(current, PostgresBackend) and not nonce:
        outcome = await (await current.submit(code, mode, principal, now))
        return rules.answer(outcome)

    async def work():
        status, body, outcome = await current.scan(code, mode, principal, nonce, now)
        if outcome is not None:
            live.publish(rules.live_message(outcome, principal.name))
        return status, body

    return await shielded(work)


async def close() -> None:
    """Close the pool and the Django thread's connections (lifespan shutdown)."""
    await drain()
    if _backend is not None:
        await _backend.close()
    await in_django_thread(close_django_connections)
