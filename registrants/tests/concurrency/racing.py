"""Tools for the race tests C1-C10 of docs/invariants.md.

`race()` runs work items on real threads, each thread with its own database
connection (closed when the thread ends), all released together by a
barrier. Every outcome is recorded: a value, an ApplicationError code, or a
crash (any other exception, which the tests count as a server error).

Twins (tests marked `race_twin`) disable a guard with the helpers below and
widen the window between check and write with a sleep, to prove that the
race the guarded test survives is real.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from registrants import selectors
from registrants.errors import ApplicationError
from registrants.models import Event
from registrants.tests.invariants import assert_invariants, fresh_status_counts

# The PostgreSQL server of the test run allows 400 connections and other test
# runs share it: no race uses more threads than this.
MAX_THREADS = 50
JOIN_TIMEOUT = 120


@dataclass
class Outcome:
    value: Any = None
    code: str | None = None  # an ApplicationError's code: a refusal
    crash: str | None = None  # any other exception: a server error

    @property
    def ok(self) -> bool:
        return self.code is None and self.crash is None


def race(work: Sequence[Callable[[], Any]], *, threads: int | None = None) -> list[Outcome]:
    """Run every item of `work` on `threads` threads started together.

    Item i goes to thread i % threads, so with as many threads as items every
    item starts at the barrier. Returns the outcomes in the order of `work`.
    """
    threads = min(threads or len(work), len(work), MAX_THREADS)
    barrier = threading.Barrier(threads)
    outcomes: list[Outcome | None] = [None] * len(work)

    def runner(indexes: list[int]) -> None:
        try:
            barrier.wait(timeout=JOIN_TIMEOUT)
            for i in indexes:
                outcomes[i] = _attempt(work[i])
        finally:
            connection.close()

    pool = [
        threading.Thread(target=runner, args=(list(range(t, len(work), threads)),), daemon=True)
        for t in range(threads)
    ]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in pool), "a racer hung"
    assert all(o is not None for o in outcomes), "a racer never ran its work"
    return outcomes  # type: ignore[return-value]


def _attempt(item: Callable[[], Any]) -> Outcome:
    try:
        return Outcome(value=item())
    except ApplicationError as exc:
        return Outcome(code=exc.code)
    except Exception as exc:  # noqa: BLE001 (every other failure is a server error)
        return Outcome(crash=f"{type(exc).__name__}: {exc}")


def tally(outcomes: Sequence[Outcome]) -> Counter:
    """'ok', each refusal code, and 'crash', counted."""
    return Counter("ok" if o.ok else (o.code or "crash") for o in outcomes)


def crashes(outcomes: Sequence[Outcome]) -> list[str]:
    return [o.crash for o in outcomes if o.crash]


def check_scenario(*events: Event) -> None:
    """After every scenario: I1, I2, I3, and I5 (stats == fresh SQL counts)."""
    assert_invariants()
    for event in events:
        event.refresh_from_db()
        stats = selectors.event_stats(event=event)
        assert stats["by_status"] == fresh_status_counts(event.pk)


# --- Disabling guards, for the twins ---------------------------------------------


def sleep_after(function: Callable, seconds: float) -> Callable:
    """`function`, sleeping after it returns: widens the check-to-write window."""

    @functools.wraps(function)
    def slow(*args, **kwargs):
        result = function(*args, **kwargs)
        time.sleep(seconds)
        return result

    return slow


def disable_row_locks(monkeypatch) -> None:
    """Make every SELECT ... FOR UPDATE a plain SELECT."""
    monkeypatch.setattr(QuerySet, "select_for_update", lambda self, *a, **kw: self)
