"""Recent values of every feature, sampled by the console at a steady pace."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping


class History:
    """One bounded series per key ("collective.heart_rate", "p1.arousal", ...).

    Keys that stop arriving get NaN (a gap in the sparkline), so a
    participant whose sensor fails shows it instead of a frozen line.
    """

    def __init__(self, capacity: int = 240) -> None:
        self.capacity = capacity
        self.series: dict[str, deque[float]] = {}
        self.samples = 0

    def add(self, values: Mapping[str, float]) -> None:
        for key in values.keys() - self.series.keys():
            self.series[key] = deque(
                [float("nan")] * min(self.samples, self.capacity), maxlen=self.capacity
            )
        for key, series in self.series.items():
            series.append(float(values.get(key, float("nan"))))
        self.samples += 1

    def get(self, key: str) -> list[float]:
        return list(self.series.get(key, ()))
