"""A one-line progress bar on stderr that needs no terminal library.

On a terminal it redraws in place; when stderr is a file or pipe (CI logs,
systemd journal) it prints a line every 10 % instead of flooding the log.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from symphony.performance.timecode import format_time


class ProgressBar:
    def __init__(self, label: str, total_seconds: float, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = total_seconds
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.perf_counter()
        self.last_decile = -1

    def __call__(self, fraction: float) -> None:
        fraction = min(1.0, max(0.0, fraction))
        elapsed = time.perf_counter() - self.started
        eta = elapsed / fraction - elapsed if fraction > 0 else 0.0
        done = format_time(fraction * self.total)
        text = f"{self.label} {fraction:4.0%} {done} of {format_time(self.total)}, eta {eta:3.0f} s"
        if self.tty:
            width = 30
            filled = round(fraction * width)
            bar = "█" * filled + "·" * (width - filled)
            self.stream.write(f"\r{self.label} {bar} {text[len(self.label) + 1 :]}")
            if fraction >= 1.0:
                self.stream.write("\n")
            self.stream.flush()
            return
        decile = int(fraction * 10)
        if decile != self.last_decile:
            self.last_decile = decile
            self.stream.write(text + "\n")
            self.stream.flush()
