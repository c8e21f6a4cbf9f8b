"""Scans that arrive together in one gateway process, applied as one statement.

On PostgreSQL, scans without a nonce that arrive while earlier groups are in
the database go together as one statement (registrants.sql.scans
.pg_group_sql); a scan that finds a free slot goes at once, alone. Each
keeps its own answer; a code appears at most once per group and rows are
locked in id order. See docs/decisions/0133.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from . import scan as rules


@dataclass
class Pending:
    """One scan waiting to be applied."""

    code: str
    mode: str
    principal: rules.Principal
    now: dt.datetime


def group_params(scans: list[Pending]) -> dict[str, str]:
    """The statement's one parameter: the scans as a JSON array, numbered
    from 1 in group order. One text parameter instead of five arrays: psycopg
    converts and dumps those in Python, about 0.25 ms per group of eight."""
    return {
        "scans": json.dumps(
            [
                {
                    "n": n,
                    "code": s.code,
                    "mode": s.mode,
                    "event": s.principal.event_id,
                    "actor": s.principal.user_id,
                    "at": s.now.isoformat(),
                }
                for n, s in enumerate(scans, start=1)
            ],
            ensure_ascii=False,
        )
    }


def changed_outcome(scan: Pending, values: Any) -> rules.Outcome:
    """The Outcome of a scan the group statement changed (one result row)."""
    _, rid, event_id, name, guest_type, company, status, ids, froms, tos = values
    row = rules.Row(
        id=rid, event_id=event_id, name=name, guest_type=guest_type, company=company, status=status
    )
    changes = [rules.Change(i, f, t, scan.now) for i, f, t in zip(ids, froms, tos, strict=True)]
    return rules.Outcome("changed", row=row, mode=scan.mode, changes=changes)


# --- The queue ----------------------------------------------------------------------


class ScanGroups:
    """Queues scans and applies them in groups, at most `max_in_flight`
    groups at a time, each of at most `max_group` scans with distinct codes.

    `apply_group(scans)` returns one Outcome per scan, in order. `track`
    registers each group's task so shutdown can wait for it (the shielded
    set, gateway.tasks): a group, once sent, always finishes and answers every scan."""

    def __init__(
        self,
        apply_group: Callable[[list[Pending]], Awaitable[list[rules.Outcome]]],
        *,
        max_in_flight: int,
        max_group: int,
        track: Callable[[asyncio.Task], None],
    ) -> None:
        self._apply_group = apply_group
        self.max_in_flight = max_in_flight
        self.max_group = max_group
        self._track = track
        self._waiting: list[tuple[Pending, asyncio.Future]] = []
        self._in_flight = 0

    def submit(self, scan: Pending) -> asyncio.Future:
        """Queue one scan; the future gets its Outcome once its group is
        applied. The group runs as its own task: cancelling whoever awaits
        the future does not cut it."""
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._waiting.append((scan, future))
        self._start_groups()
        return future

    async def apply(self, scan: Pending) -> rules.Outcome:
        """Apply one scan (with whatever else is waiting) and return its Outcome."""
        return await self.submit(scan)

    def _start_groups(self) -> None:
        while self._waiting and self._in_flight < self.max_in_flight:
            group = self._take_group()
            self._in_flight += 1
            task = asyncio.ensure_future(self._run(group))
            self._track(task)

    def _take_group(self) -> list[tuple[Pending, asyncio.Future]]:
        group: list[tuple[Pending, asyncio.Future]] = []
        codes: set[str] = set()
        rest: list[tuple[Pending, asyncio.Future]] = []
        for entry in self._waiting:
            code = entry[0].code
            if len(group) < self.max_group and code not in codes:
                group.append(entry)
                codes.add(code)
            else:
                rest.append(entry)
        self._waiting = rest
        return group

    async def _run(self, group: list[tuple[Pending, asyncio.Future]]) -> None:
        try:
            outcomes = await self._apply_group([scan for scan, _ in group])
        except asyncio.CancelledError:
            self._release()
            for _, future in group:
                future.cancel()
            raise
        except Exception as exc:
            self._release()
            for _, future in group:
                if not future.done():
                    future.set_exception(exc)
        else:
            # The next group first: its task is scheduled ahead of the
            # callers woken below, so its statement reaches PostgreSQL before
            # this group's answers are written, not a millisecond after.
            self._release()
            for (_, future), outcome in zip(group, outcomes, strict=True):
                if not future.done():
                    future.set_result(outcome)

    def _release(self) -> None:
        self._in_flight -= 1
        self._start_groups()
