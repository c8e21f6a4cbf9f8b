"""What a gateway database backend does (Backend), and the signals both use."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from ..scan import BatchItem, Outcome, Principal


class Backend(Protocol):
    """One engine's way to apply scans. Every write is one of registrants.sql's."""

    vendor: str

    async def scan(
        self, code: str, mode: str, principal: Principal, nonce: str | None, now: dt.datetime
    ) -> tuple[int, dict[str, Any], Outcome | None]:
        """Apply one scan: (http status, body, outcome to publish, or None
        when there is nothing left to publish: a replayed nonce, a refusal
        that keeps no receipt, a scan whose group published it)."""
        ...

    async def batch(
        self, items: list[BatchItem], principal: Principal, now: dt.datetime
    ) -> tuple[list[dict[str, Any]], list[dict]]:
        """Apply an offline batch in one transaction: (results by index, live messages)."""
        ...

    async def close(self) -> None:
        """Give back every connection (lifespan shutdown; tests)."""
        ...


class Unkept(Exception):  # noqa: N818 (a signal, not an error)
    """A scan answer that must leave no receipt (wrong_event): roll back the
    receipt's claim and answer it."""

    def __init__(self, http_status: int, body: dict[str, Any]) -> None:
        self.http_status, self.body = http_status, body


class NonceTaken(Exception):  # noqa: N818 (a signal, not an error)
    """Another request stored a receipt for one of this batch's nonces
    while this one ran: roll back and answer those items as replays."""
