"""Gather OSC samples into `Signal`s and stamp them on the show clock (pure, no sockets).

OSC carries no sample clock, only arrival times, which jitter with the
network. So a signal's samples are laid end to end at its nominal rate, and
the arrival time is only used to anchor the run: when a block's arrival-based
start is more than `tolerance` from where the run says it should be (a
gap, a sender restart, rate drift piling up), the run is re-anchored there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from symphony.inputs.recording import Signal
from symphony.inputs.sources.osc_paths import OscSamples


@dataclass
class Stamper:
    """Start times for consecutive blocks of samples at a nominal rate."""

    rate: float
    tolerance: float = 0.5
    next_start: float | None = None

    def place(self, n: int, last_arrival: float) -> float:
        """Start time of a block of `n` samples whose last one arrived at `last_arrival`."""
        by_arrival = last_arrival - n / self.rate
        if self.next_start is None or abs(self.next_start - by_arrival) > self.tolerance:
            start = by_arrival
        else:
            start = self.next_start
        self.next_start = start + n / self.rate
        return start


@dataclass
class SignalBuffer:
    """Pending samples of one signal of one participant."""

    kind: str
    rate: float
    unit: str = ""
    stamper: Stamper = field(init=False)
    _frames: list[tuple[float, ...]] = field(default_factory=list)  # frame or single values
    _channels: dict[int, list[float]] = field(default_factory=dict)
    _last_arrival: float = 0.0

    def __post_init__(self) -> None:
        self.stamper = Stamper(self.rate)

    def add(self, samples: OscSamples, arrival: float) -> None:
        if samples.channel is not None:
            self._channels.setdefault(samples.channel, []).extend(samples.values)
        elif samples.frame:
            self._frames.append(samples.values)
        else:
            self._frames.extend((v,) for v in samples.values)
        self._last_arrival = arrival

    def take(self) -> Signal | None:
        """The complete samples gathered so far as one Signal, or None."""
        data = self._take_frames() if self._frames else self._take_channels()
        if data is None or data.shape[-1] == 0:
            return None
        start = self.stamper.place(int(data.shape[-1]), self._last_arrival)
        return Signal(self.kind, self.rate, data, self.unit, start)

    def _take_frames(self) -> np.ndarray | None:
        width = len(self._frames[0])
        frames = [f for f in self._frames if len(f) == width]  # a changed width is dropped
        self._frames.clear()
        block = np.asarray(frames, dtype=np.float64).T
        if self.kind == "eeg":
            return np.ascontiguousarray(block)
        return np.ascontiguousarray(block[0])

    def _take_channels(self) -> np.ndarray | None:
        """Samples present on every channel seen so far; the rest waits."""
        if not self._channels:
            return None
        n = min(len(v) for v in self._channels.values())
        if n == 0:
            return None
        order = sorted(self._channels)
        data = np.asarray([self._channels[c][:n] for c in order], dtype=np.float64)
        for c in order:
            del self._channels[c][:n]
        return data if self.kind == "eeg" else np.ascontiguousarray(data[0])
