"""Mappings: a feature becomes a parameter value.

A mapping is normalise, invert, curve, scale, smooth, as in signalflow and
Mixxx: the feature's input range becomes 0..1 (clamped), is optionally
inverted, bent by a curve, spread over the output range and smoothed with a
one-pole filter whose time constant is the mapping's ``smoothing``.

Unknown feature values (NaN: a sensor not yet warmed up or gone) are held at
the last good value, so a mapping never passes NaN on; before the first good
value the mapping has nothing to say and yields NaN, which the conductor
reads as "use the scene's value".

The stateful pieces (`Hold`, `OnePole`) process a block of frames at a time
and carry their state, so one frame at a time (live) and all frames at once
(offline render) give the same numbers.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy.signal import lfilter

from symphony.mapping.curves import Curve, to_range

Array = npt.NDArray[np.float64]


def map_value(
    x: Array,
    in_range: tuple[float, float],
    out_range: tuple[float, float],
    curve: Curve = "linear",
    invert: bool = False,
) -> Array:
    """Feature value(s) to output value(s); NaN stays NaN."""
    lo, hi = in_range
    u = (np.asarray(x, dtype=np.float64) - lo) / (hi - lo)
    u = np.clip(u, 0.0, 1.0)
    if invert:
        u = 1.0 - u
    known = np.isfinite(u)
    out = np.full(u.shape, np.nan)
    out[known] = to_range(u[known], out_range[0], out_range[1], curve)
    return out


class Hold:
    """Replace NaN/Inf with the last finite value seen (NaN until there is one)."""

    def __init__(self) -> None:
        self.last = math.nan

    def __call__(self, x: Array) -> Array:
        x = np.asarray(x, dtype=np.float64)
        good = np.isfinite(x)
        if good.all():
            if x.size:
                self.last = float(x[-1])
            return x
        # Forward fill: index of the last good sample at or before each position.
        idx = np.where(good, np.arange(x.size), -1)
        np.maximum.accumulate(idx, out=idx)
        out = np.where(idx >= 0, x[np.maximum(idx, 0)], self.last)
        if out.size:
            self.last = float(out[-1])
        return out

    def one(self, x: float) -> float:
        """The same for a single frame (a live show), without numpy."""
        if math.isfinite(x):
            self.last = x
        return self.last


class OnePole:
    """Exponential smoothing with time constant `tau` seconds at `rate` frames/s.

    The filter starts at the first known value (no glide up from zero) and
    passes NaN through while nothing is known yet.
    """

    def __init__(self, tau: float, rate: float) -> None:
        self.a = math.exp(-1.0 / (tau * rate)) if tau > 0 else 0.0
        self.zi: npt.NDArray[np.float64] | None = None

    def __call__(self, x: Array) -> Array:
        x = np.asarray(x, dtype=np.float64)
        if self.a == 0.0:
            return x
        known = np.flatnonzero(np.isfinite(x))
        out = np.full(x.shape, np.nan)
        if known.size == 0:
            return out
        start = 0
        if self.zi is None:
            start = int(known[0])
            self.zi = np.array([self.a * x[start]])
        b, a = [1.0 - self.a], [1.0, -self.a]
        y, self.zi = lfilter(b, a, x[start:], zi=self.zi)
        out[start:] = y
        return out

    def one(self, x: float) -> float:
        """The same for a single frame (a live show): lfilter's arithmetic on floats."""
        if self.a == 0.0:
            return x
        if not math.isfinite(x):
            return math.nan
        if self.zi is None:
            self.zi = np.array([self.a * x])
        y = float(self.zi[0]) + (1.0 - self.a) * x
        self.zi = np.array([x * 0.0 - y * -self.a])
        return y
