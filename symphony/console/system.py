"""CPU load of the show's processes, from /proc (Linux), without psutil.

CPU load here is the share of one core a process used between two reads
(utime + stime ticks over wall time), the number `top` shows: 100 % is one
core busy. A process that is gone reads as None.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_ticks(stat: str) -> int:
    """utime + stime from the text of /proc/PID/stat (the name may hold spaces)."""
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of the full line


class CpuMeter:
    """Percent of one core used by one process since the previous `read`."""

    def __init__(self, pid: int) -> None:
        self.path = Path(f"/proc/{pid}/stat")
        self.last: tuple[float, int] | None = None

    def read(self) -> float | None:
        try:
            ticks = cpu_ticks(self.path.read_text())
        except (OSError, ValueError, IndexError):
            return None
        now = time.monotonic()
        previous, self.last = self.last, (now, ticks)
        if previous is None or now <= previous[0]:
            return None
        return 100.0 * (ticks - previous[1]) / TICKS / (now - previous[0])


class XrunCounter:
    """Xruns of the JACK server, counted by a JACK client of the control process.

    The callback runs in a JACK thread of this (control) process, never in
    the engine. `period_ms` is one JACK period, the time the engine adds
    after a control change is queued.
    """

    def __init__(self, client_name: str = "symphony-console") -> None:
        import jack

        self.count = 0
        self.client = jack.Client(client_name, no_start_server=True)
        self.period_ms = 1000.0 * self.client.blocksize / self.client.samplerate

        @self.client.set_xrun_callback
        def xrun(delay: float) -> None:
            self.count += 1

        self.client.activate()

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()
