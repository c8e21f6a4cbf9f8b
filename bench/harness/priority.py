"""Lower the CPU priority of a process and its session, so that on a
machine with few cores the API's requests win the CPU over them."""

from __future__ import annotations

import os
from pathlib import Path


def lower_priority(pid: int, nice: int) -> None:
    """Raise `pid`'s nice value and that of its session's autogroup. With
    autogroups (Linux's default for desktop-like kernels, and here) the
    scheduler shares CPU between sessions first, so a process's own nice
    value only counts against the processes of its own session: the
    autogroup's counts against the others (sched(7))."""
    if nice <= 0:
        return
    try:
        os.setpriority(os.PRIO_PROCESS, pid, nice)
    except OSError:
        pass
    autogroup = Path(f"/proc/{pid}/autogroup")
    if autogroup.exists():
        try:
            autogroup.write_text(str(nice))
        except OSError:
            pass


def detach_and_lower(nice: int) -> None:
    """In a child process: a session (autogroup) of its own, niced."""
    if nice <= 0:
        return
    os.setsid()
    lower_priority(os.getpid(), nice)
