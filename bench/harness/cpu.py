"""Where the machine's CPU went during a run: the servers under test, the
load generator (this process), PostgreSQL + Redis, and everything else."""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SERVICE_COMMANDS = frozenset({"postgres", "redis-server"})
# The bench's own database: other databases' backends on the same server
# (another engineer's tests, say) are not the services' cost of these scans.
BENCH_DATABASE: list[str] = []


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


def _other_database_backend(pid: int) -> bool:
    """A PostgreSQL backend serving a database other than the bench's. Its
    title is "postgres: user dbname host(port) state"; the server's own
    processes (walwriter, checkpointer, ...) have no host and are counted."""
    if not BENCH_DATABASE:
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            title = f.read().decode(errors="replace")
    except OSError:
        return False
    return "(" in title and f" {BENCH_DATABASE[0]} " not in title


def process_cpu_seconds() -> dict[int, tuple[int, str, float]]:
    """pid -> (ppid, command name, user + system CPU seconds) of every process."""
    found: dict[int, tuple[int, str, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # exited while we looked
        # The command name may contain spaces; the fields after the last ')' do not.
        head, tail = stat.rsplit(")", 1)
        rest = tail.split()
        cpu = (int(rest[11]) + int(rest[12])) / CLOCK_TICKS
        found[int(entry)] = (int(rest[1]), head.split("(", 1)[1], cpu)
    return found


@dataclass
class CpuSnapshot:
    """CPU seconds used so far: the machine, and per process of interest."""

    machine_busy: float
    machine_total: float
    processes: dict[int, tuple[int, str, float]]

    @classmethod
    def take(cls) -> CpuSnapshot:
        busy, total = machine_cpu_seconds()
        return cls(busy, total, process_cpu_seconds())


def cpu_split(before: CpuSnapshot, after: CpuSnapshot, server_pid: int) -> dict[str, float]:
    """CPU seconds spent between two snapshots by the server (the process
    `server_pid` and its workers), the load generator (this process),
    PostgreSQL + Redis (the server's own processes and the bench database's
    backends) and the rest."""
    split = {"machine": after.machine_busy - before.machine_busy, "server": 0.0}
    split.update(client=0.0, services=0.0, capacity=after.machine_total - before.machine_total)
    for pid, (ppid, name, cpu) in after.processes.items():
        used = cpu - before.processes.get(pid, (0, "", 0.0))[2]
        if pid == server_pid or ppid == server_pid:
            split["server"] += used
        elif pid == os.getpid():
            split["client"] += used
        elif name in SERVICE_COMMANDS and not _other_database_backend(pid):
            split["services"] += used
    split["other"] = split["machine"] - split["server"] - split["client"] - split["services"]
    return split


def server_and_services(
    cpu: tuple[CpuSnapshot, CpuSnapshot], server_pids: list[int]
) -> tuple[float, float]:
    """CPU seconds of the servers under test and of PostgreSQL + Redis."""
    before, after = cpu
    server = sum(cpu_split(before, after, pid)["server"] for pid in server_pids)
    return server, cpu_split(before, after, server_pids[0])["services"]


def other_share(cpu: tuple[CpuSnapshot, CpuSnapshot], server_pids: list[int]) -> float:
    """Other processes' share of the machine's CPU, per cent, with every
    server in `server_pids` counted as the run's own."""
    before, after = cpu
    split = cpu_split(before, after, server_pids[0])
    for pid in server_pids[1:]:
        split["other"] -= cpu_split(before, after, pid)["server"]
    return round(100 * split["other"] / split["capacity"], 1) if split["capacity"] else 0.0


def calibration_ms(rounds: int = 5) -> float:
    """CPU milliseconds of a fixed pure-Python loop (the best of `rounds`):
    how fast this machine runs Python right now, to compare runs across
    machines or days."""
    best = math.inf
    for _ in range(rounds):
        t = time.process_time()
        sum(i * i for i in range(200_000))
        best = min(best, time.process_time() - t)
    return round(best * 1000, 2)
