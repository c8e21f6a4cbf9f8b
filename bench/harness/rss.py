"""Resident memory and CPU time of a server's processes, read from /proc (Linux)."""

from __future__ import annotations

import os
import threading
from pathlib import Path


def children(pid: int) -> list[int]:
    """The direct children of `pid`."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def web_processes(pid: int) -> list[int]:
    """The processes that serve requests: uvicorn's workers when it has
    children (its supervisor serves nothing), else `pid` itself."""
    workers = [c for c in children(pid) if _is_spawned_worker(c)]
    return workers or [pid]


def _is_spawned_worker(pid: int) -> bool:
    """A multiprocessing child running a worker (not its resource tracker)."""
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def rss_mb(pid: int) -> float | None:
    """VmRSS of `pid` in MB, None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class PeakRss:
    """Samples the RSS of some processes every `interval` seconds in a
    thread, keeping each one's peak, between start() and stop()."""

    def __init__(self, pids: list[int], interval: float = 0.25) -> None:
        self.pids = pids
        self.interval = interval
        self.peak: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            for pid in self.pids:
                mb = rss_mb(pid)
                if mb is not None:
                    self.peak[pid] = max(mb, self.peak.get(pid, 0.0))
            if self._stop.wait(self.interval):
                return

    def start(self) -> PeakRss:
        self._thread.start()
        return self

    def stop(self) -> list[float]:
        """The peaks in MB, one per process, in `pids` order."""
        self._stop.set()
        self._thread.join()
        return [round(self.peak.get(pid, 0.0), 1) for pid in self.pids]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by these processes together."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            rest = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(rest[11]) + int(rest[12])
    return total / ticks
