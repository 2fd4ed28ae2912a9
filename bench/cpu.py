"""CPU accounting from /proc, so a result can be read against what the machine was doing.

The benchmark shares the machine with its own server and database and possibly with
other work; these numbers say how much CPU went where during a measured window.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def machine_busy_s() -> float:
    """CPU seconds spent not idle, summed over all cores, since boot (0 without /proc)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    values = [int(v) for v in fields]
    # user nice system idle iowait irq softirq steal [guest guest_nice: already in user]
    busy = sum(values[:8]) - values[3] - values[4]
    return busy / _TICKS


def process_cpu_s(pid: int) -> float | None:
    """utime + stime of one process in seconds, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def postgres_backends(database: str) -> list[int]:
    """Backend processes serving ``database`` (their title names it), when we may see them."""
    needle = f" {database} ".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if cmdline.startswith(b"postgres:") and needle in cmdline.replace(b"\0", b" ") + b" ":
            pids.append(int(entry.name))
    return pids


@dataclass(frozen=True)
class CpuUsage:
    wall_s: float
    machine_s: float  # every process on the machine
    server_s: float  # the API server processes and their database backends


class CpuMeter:
    """Measures a window: ``start()``, then ``stop()`` returns the usage in between.

    ``server_pids`` is called at both ends, so processes that start inside the window
    (new pool connections) count from zero.
    """

    def __init__(self, server_pids: Callable[[], list[int]]) -> None:
        self.server_pids = server_pids
        self._wall = 0.0
        self._machine = 0.0
        self._procs: dict[int, float] = {}

    def _snapshot(self) -> dict[int, float]:
        return {pid: cpu for pid in self.server_pids()
                if (cpu := process_cpu_s(pid)) is not None}

    def start(self) -> None:
        self._procs = self._snapshot()
        self._machine = machine_busy_s()
        self._wall = time.perf_counter()

    def stop(self) -> CpuUsage:
        wall = time.perf_counter() - self._wall
        machine = machine_busy_s() - self._machine
        server = sum(cpu - self._procs.get(pid, 0.0) for pid, cpu in self._snapshot().items())
        return CpuUsage(wall, machine, server)
