"""Exact window counters in Redis for many requests at once (the API's
per-user scan throttle under ASGI: gateway.api_scan).

Each request adds one to its counter and learns the count after its own
addition, as an INCR would tell it; the increments queued while one
command is out go together in the next (a script: one INCRBY per
counter). One round trip per request cost about as much CPU as the rest of
the scan.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

# Every queued counter in one command: KEYS are the counters, ARGV each
# one's (count to add, seconds to live from its first count). A pipeline of
# INCRBY and EXPIRE per counter cost redis-py twice the CPU.
ADD_SCRIPT = """
local totals = {}
for i, key in ipairs(KEYS) do
  totals[i] = redis.call('INCRBY', key, ARGV[2 * i - 1])
  redis.call('EXPIRE', key, ARGV[2 * i], 'NX')
end
return totals
"""


class WindowCounts:
    """Counters added to in batches; `client` gives the loop's Redis client."""

    def __init__(self, client: Callable[[], Any]) -> None:
        self._client = client
        self._queued: dict[str, tuple[int, list[asyncio.Future]]] = {}  # key -> (ttl, waiters)
        self._sender: asyncio.Task | None = None

    async def add_one(self, key: str, ttl: int) -> int:
        """Add one to `key` (expiring `ttl` seconds after its first count);
        the count after this addition."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queued.setdefault(key, (ttl, []))[1].append(future)
        if self._sender is None or self._sender.done() or self._sender.get_loop() is not loop:
            self._sender = asyncio.ensure_future(self._send())
        return await future

    async def _send(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queued:
            queued, self._queued = self._queued, {}
            keys = list(queued)
            args = [a for ttl, waiters in queued.values() for a in (len(waiters), ttl)]
            try:
                totals = await self._client().eval(ADD_SCRIPT, len(keys), *keys, *args)
            except Exception as exc:
                for _, waiters in queued.values():
                    for future in waiters:
                        if not future.done() and future.get_loop() is loop:
                            future.set_exception(exc)
                continue
            for (_, waiters), total in zip(queued.values(), totals, strict=True):
                first = int(total) - len(waiters)
                for n, future in enumerate(waiters, start=1):
                    if not future.done():
                        future.set_result(first + n)
