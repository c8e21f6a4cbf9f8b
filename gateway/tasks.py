"""Running the gateway's database work so that cancellation cannot cut it.

Every unit of work runs as its own shielded task, tracked until it ends, so
a cancelled request cannot cut a transaction and shutdown can wait for it.
Sync Django code (the ORM, SQLite) runs on one thread of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.db import connections

T = TypeVar("T")

_running: set[asyncio.Task] = set()


def track(task: asyncio.Task) -> None:
    """Keep `task` in the set that drain() waits for."""
    _running.add(task)
    task.add_done_callback(_running.discard)


async def shielded(work: Callable[[], Awaitable[T]]) -> T:
    """Run `work()` as a task that finishes even if the caller is cancelled."""
    task = asyncio.ensure_future(work())
    track(task)
    return await asyncio.shield(task)


async def drain() -> None:
    """Wait for shielded work still running (tests; shutdown)."""
    while _running:
        await asyncio.gather(*list(_running), return_exceptions=True)


_django_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gateway-django")


async def in_django_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run sync Django code (ORM, SQLite) in the gateway's one Django thread."""
    return await asyncio.get_running_loop().run_in_executor(_django_thread, fn, *args)


def close_django_connections() -> None:
    """Close this thread's Django connections (run it in the Django thread)."""
    connections.close_all()
