"""Output level for the console: sample peak and short-term loudness of the master.

Why it looks like this: the only Python allowed in the engine is the
per-block hook (docs/architecture.md, fact 2), so the DSP (K-weighting filters, a peak
and an RMS follower per channel) is pyo's, and the hook only reads one float
per follower, keeps a 3-second ring of block powers (plain floats, never
numpy: fact 4) and, every few blocks, writes two numbers into a shared
array that the control process reads. Short-term loudness is the BS.1770
definition: the mean K-weighted power of the last 3 s, -0.691 + 10 log10.
The window moves by whole blocks, which is finer than any meter needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from symphony.analysis.meters import default_channel_weights, k_weighting_sos

SHORT_TERM_SECONDS = 3.0
PUBLISH_SECONDS = 0.05  # the console draws at 10 Hz; twice that is plenty

# Slots of the shared array the engine publishes into.
PEAK = 0  # highest sample peak (linear) since the previous publication
POWER = 1  # mean K-weighted channel-summed power over the last 3 s (linear)
UPDATES = 2  # how many publications so far (the reader sees the meter is alive)
SLOTS = 3


class LevelTap:
    """Called once per block from the engine hook; publishes every `every` blocks."""

    def __init__(
        self,
        peaks: Sequence[Any],
        powers: Sequence[Any],
        weights: Sequence[float],
        window_blocks: int,
        every: int,
        out: Any,
    ) -> None:
        # pyo stops what Python garbage-collects (docs/architecture.md, fact 9): keep them all.
        self.kept: list[Any] = [*peaks, *powers]
        self.peaks = [_reader(p) for p in peaks]  # each -> the last block's peak
        self.powers = [(_reader(p), float(w)) for p, w in zip(powers, weights, strict=True)]
        self.ring = [0.0] * max(1, window_blocks)
        self.filled = 0
        self.index = 0
        self.total = 0.0
        self.every = max(1, every)
        self.count = 0
        self.held_peak = 0.0
        self.out = out

    def __call__(self) -> None:
        peak = self.held_peak
        for read in self.peaks:
            v = read()
            if v > peak:
                peak = v
        self.held_peak = peak
        power = 0.0
        for read, weight in self.powers:
            rms = read()
            power += weight * rms * rms
        ring = self.ring
        i = self.index
        self.total += power - ring[i]
        ring[i] = power
        self.index = (i + 1) % len(ring)
        if self.filled < len(ring):
            self.filled += 1
        self.count += 1
        if self.count >= self.every:
            self._publish()

    def _publish(self) -> None:
        if self.index == 0:  # once per window: drop the running sum's rounding
            self.total = math.fsum(self.ring)
        out = self.out
        out[PEAK] = self.held_peak
        out[POWER] = max(0.0, self.total) / self.filled
        out[UPDATES] = out[UPDATES] + 1.0
        self.held_peak = 0.0
        self.count = 0


def _reader(follower: Any) -> Callable[[], float]:
    """The cheapest way to read a follower's value: its stream's getValue.

    `PyoObject.get()` checks its arguments and looks the stream up on every
    call (about 1.5 us here); the bound method of the stream is a fifth of that.
    Anything else with a `get()` (another pyo version) falls back to it.
    """
    try:
        read: Callable[[], float] = follower._base_objs[0]._getStream().getValue
    except (AttributeError, IndexError):
        read = follower.get
    return read


def build_level_tap(pyo: Any, outputs: Sequence[Any], rate: int, block: int, out: Any) -> LevelTap:
    """The pyo followers on the master outputs, and the tap that reads them.

    The returned tap holds every pyo object it made.
    """
    shelf, highpass = (list(map(float, s)) for s in k_weighting_sos(rate))
    peaks, powers, kept = [], [], []
    for signal in outputs:
        peaks.append(pyo.PeakAmp(signal))
        # pyo's Biquada takes (b0, b1, b2, a0, a1, a2); the SOS rows are in that order.
        stage1 = pyo.Biquada(signal, *shelf)
        stage2 = pyo.Biquada(stage1, *highpass)
        powers.append(pyo.RMS(stage2))
        kept += [stage1, stage2]
    weights = [float(w) for w in default_channel_weights(len(outputs))]
    block_seconds = block / rate
    tap = LevelTap(
        peaks,
        powers,
        weights,
        window_blocks=round(SHORT_TERM_SECONDS / block_seconds),
        every=max(1, round(PUBLISH_SECONDS / block_seconds)),
        out=out,
    )
    tap.kept += kept
    return tap


def peak_dbfs(peak: float) -> float:
    return 20.0 * math.log10(peak) if peak > 0.0 else -math.inf


def power_lufs(power: float) -> float:
    return -0.691 + 10.0 * math.log10(power) if power > 0.0 else -math.inf
