"""The gateway's PostgreSQL connections through outages and restarts.

`OutageAwarePool` is psycopg's pool with a gate in getconn(): a dropped
connection is noticed before use (no round trip), and while the database is
away requests get 503 at once instead of waiting the pool's timeout, with
one shared direct attempt to notice its return. See docs/decisions/0030.
"""

from __future__ import annotations

import asyncio
import logging
import select
from typing import Any

from psycopg_pool import AsyncConnectionPool

logger = logging.getLogger(__name__)


class DatabaseUnavailable(Exception):
    """The gateway could not reach PostgreSQL (mapped to 503)."""


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` means the database or Redis is unreachable (503), not a bug (500)."""
    import psycopg
    import redis.exceptions
    from django.db import InterfaceError, OperationalError
    from psycopg_pool import PoolTimeout

    return isinstance(
        exc,
        DatabaseUnavailable
        | psycopg.OperationalError
        | psycopg.InterfaceError
        | PoolTimeout
        | OperationalError
        | InterfaceError
        | redis.exceptions.ConnectionError
        | redis.exceptions.TimeoutError,
    )


def has_input(conn: Any) -> bool:
    """Whether the server sent anything to an idle connection: nothing is
    expected (no LISTEN here), so it is the server ending the session, or
    end-of-file. One poll() call, no round trip."""
    if conn.closed or conn.broken:
        return True
    poller = select.poll()
    try:
        poller.register(conn.fileno(), select.POLLIN)
    except Exception:  # no socket left: as dead as it gets
        return True
    return bool(poller.poll(0))


def _pool_gave_up(pool: AsyncConnectionPool) -> None:
    if isinstance(pool, OutageAwarePool):  # the only pool given this callback
        pool.trip()


class OutageAwarePool(AsyncConnectionPool):
    """psycopg's AsyncConnectionPool whose getconn() (and so connection())
    hands out live connections, or raises DatabaseUnavailable at once."""

    def __init__(self, conninfo: str, **kwargs: Any) -> None:
        # A failed connection attempt gives up at once (its callback trips
        # the gate) instead of backing off for minutes.
        super().__init__(conninfo, reconnect_timeout=0, reconnect_failed=_pool_gave_up, **kwargs)
        self.probe_conninfo = conninfo
        self.down = False
        self._tripped: asyncio.Future | None = None
        self._probe: asyncio.Future | None = None
        self._returning: set[asyncio.Future] = set()

    def trip(self) -> None:
        """Mark the database away and answer every waiting request."""
        if not self.down:
            logger.warning("gateway database unreachable; answering 503 until it is back")
        self.down = True
        if self._tripped is not None and not self._tripped.done():
            self._tripped.set_result(None)
        self._tripped = None

    async def getconn(self, timeout: float | None = None) -> Any:
        """A live connection of the pool (see the module)."""
        return await self.take([], timeout)

    async def take(self, held: list, timeout: float | None = None) -> Any:
        """A live connection: one of `held` (popped), else the pool's."""
        while True:
            if self.down:
                await self._wait_for_probe()
            conn = held.pop() if held else await self._from_pool(timeout)
            if not has_input(conn) or await self._passes_round_trip(conn):
                return conn
            # Dropped by the server, which dropped the others too (a restart)
            # or is gone: have the pool test its idle ones and reconnect now.
            await self.putconn(conn)
            await self.check()

    async def _passes_round_trip(self, conn: Any) -> bool:
        try:
            await self.check_connection(conn)
        except Exception:
            await conn.close()  # so that the pool discards it
            return False
        return True

    async def _from_pool(self, timeout: float | None) -> Any:
        """The pool's getconn(), cut short when the gate trips meanwhile."""
        if self.get_stats().get("pool_available", 0):
            return await super().getconn(timeout)  # one is idle: no wait
        if self._tripped is None:
            self._tripped = asyncio.get_running_loop().create_future()
        tripped = self._tripped
        getter = asyncio.ensure_future(super().getconn(timeout))
        try:
            await asyncio.wait({getter, tripped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not getter.done():  # tripped, or this request was cancelled
                getter.add_done_callback(self._give_back)
                getter.cancel()
        if not getter.done():
            raise DatabaseUnavailable("the pool could not connect")
        return getter.result()  # the connection, or the pool's error

    def _give_back(self, getter: asyncio.Future) -> None:
        """An abandoned getconn that got a connection all the same: return it."""
        if not getter.cancelled() and getter.exception() is None:
            task = asyncio.ensure_future(self.putconn(getter.result()))
            self._returning.add(task)  # a reference, until it is done
            task.add_done_callback(self._returning.discard)

    async def _wait_for_probe(self) -> None:
        """One direct connection attempt, shared by the requests that arrive
        while it runs: the gate opens if it succeeds, else DatabaseUnavailable."""
        if self._probe is None:
            self._probe = asyncio.ensure_future(self._connect_once())
            self._probe.add_done_callback(self._probe_done)
        if not await asyncio.shield(self._probe):
            raise DatabaseUnavailable("the database refused a new connection")

    def _probe_done(self, probe: asyncio.Future) -> None:
        self._probe = None
        if not probe.cancelled() and probe.result():
            if self.down:
                logger.warning("gateway database reachable again")
            self.down = False

    async def _connect_once(self) -> bool:
        import psycopg

        try:
            conn = await psycopg.AsyncConnection.connect(self.probe_conninfo, autocommit=True)
        except Exception as exc:
            logger.info("gateway database still unreachable: %s", type(exc).__name__)
            return False
        await conn.close()
        return True
