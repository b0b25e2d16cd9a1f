"""Where the CPU goes during a benchmark: CPU seconds per process and per role, read from /proc (Linux).

``tree_cpu_seconds`` adds up live processes under given roots (the live benchmark samples it at the edges
of its steady window). ``CpuSampler`` follows every process of the machine through a run, so processes
that start and end inside it (replay workers and their pools) are counted too: it polls /proc and keeps the
last CPU time it saw of each process (a process that lives less than one poll is missed: negligible here).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcessCpu:
    pid: int
    parent: int
    seconds: float  # user + system CPU seconds since the process started


def proc_stat(pid: int) -> ProcessCpu | None:
    """A live process' parent and CPU seconds, from /proc; None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return ProcessCpu(pid, int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)


def all_processes() -> dict[int, ProcessCpu]:
    found: dict[int, ProcessCpu] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := proc_stat(int(entry.name))) is not None:
            found[stat.pid] = stat
    return found


def command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def cpu_busy_seconds() -> float:
    """Busy CPU seconds of the whole machine since boot, from /proc/stat (every process: ours, the broker's,
    PostgreSQL's and everyone else's)."""
    fields = [float(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def tree_cpu_seconds(roots: Sequence[int], *, descendants_only: bool = False) -> float:
    """CPU seconds of the live processes ``roots`` and all their descendants (the pool's workers too), or
    of the descendants only."""
    processes = all_processes()
    total = 0.0
    for pid, process in processes.items():
        if descendants_only and pid in roots:
            continue
        node: int | None = pid
        while node:  # walk up to a root (or to init)
            if node in roots:
                total += process.seconds
                break
            parent = processes.get(node)
            node = parent.parent if parent else None
    return total


def broker_pids() -> list[int]:
    return [pid for pid in all_processes() if b"kafka.Kafka" in command_line(pid)]


Classify = Callable[[ProcessCpu, dict[int, ProcessCpu]], str]


class CpuSampler:
    """CPU seconds per role over a run (``with CpuSampler(classify) as cpu: ...; cpu.by_role()``).

    ``classify(process, processes)`` names a process' role when it is first seen (its parent chain is in
    ``processes``). Processes already running at the start count from their CPU time then."""

    def __init__(self, classify: Classify, interval: float = 0.1) -> None:
        self.classify = classify
        self.interval = interval
        self.start: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.roles: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)

    def __enter__(self) -> CpuSampler:
        self.start = {pid: p.seconds for pid, p in all_processes().items()}
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        processes = all_processes()
        for pid, process in processes.items():
            if pid not in self.roles:
                self.roles[pid] = self.classify(process, processes)
            self.last[pid] = process.seconds

    def by_role(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for pid, seconds in self.last.items():
            role = self.roles[pid]
            totals[role] = totals.get(role, 0.0) + seconds - self.start.get(pid, 0.0)
        return {role: seconds for role, seconds in totals.items() if seconds > 0}
