"""Frame-rate logic: personal baselines, hold-and-glide, and the 0..1 features.

Everything here runs on whole blocks of frames with carried state, vectorised
and chunk-invariant like the per-signal stages:

- `Baseline`: a participant's own running average of a feature (a slow
  exponential average over good frames only), because "aroused" and
  "relaxed" only mean something against that person's normal.
- `Glide`: when a feature's signal goes bad, hold the last good value and
  glide exponentially toward a neutral value (the baseline, or 0.5), so
  the sound drifts to a calm bed instead of jumping or freezing.
- `PhaseRun`: when the breath signal goes bad, the phase keeps turning at the
  last good rate, so the breathing layer keeps breathing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symphony.features.stream import Array, BoolArray, IntArray, ema, ema_alpha, last_index


@dataclass
class Baseline:
    """Running personal baselines of several features, learnt from good frames only.

    Rows of `x` are features; all share the time constant, so one filter
    call serves them all (per-call overhead matters for small live chunks).
    """

    tau_frames: float
    min_frames: int
    zi: Array | None = None
    count: IntArray | None = None

    def update(self, x: Array, good: BoolArray) -> Array:
        """Baselines (rows, frames), each including its frame; NaN before `min_frames`."""
        rows = x.shape[0]
        if self.zi is None or self.count is None:
            self.zi, self.count = np.zeros((2 * rows, 1)), np.zeros(rows, dtype=np.int64)
        g = good & np.isfinite(x)
        both = np.vstack([np.where(g, x, 0.0), g.astype(np.float64)])
        y, self.zi = ema(both, ema_alpha(self.tau_frames, 1.0), self.zi)
        counts = self.count[:, None] + np.cumsum(g, axis=1)
        if counts.shape[1]:
            self.count = counts[:, -1].copy()
        with np.errstate(invalid="ignore", divide="ignore"):
            base = y[:rows] / y[rows:]
        out: Array = np.where(counts >= self.min_frames, base, np.nan)
        return out


@dataclass
class Glide:
    """Hold the last good value and glide toward a target while the input is bad."""

    decay: float  # per frame
    last_k: int = -1
    value: float = np.nan
    target: float = np.nan

    def apply(self, value: Array, good: BoolArray, target: Array, k0: int) -> Array:
        """Output frames k0.. : `value` where good, else the glide; NaN before anything good."""
        good = good & np.isfinite(value)
        n = value.size
        idx = last_index(good, k0, self.last_k)
        local = idx - k0
        inside = local >= 0
        safe = np.maximum(local, 0)
        held = np.where(inside, value[safe], self.value)
        goal = np.where(inside, target[safe], self.target)
        goal = np.where(np.isfinite(goal), goal, held)
        steps = (np.arange(k0, k0 + n) - idx).astype(np.float64)
        glided = goal + (held - goal) * self.decay**steps
        out: Array = np.where(good, value, np.where(idx >= 0, glided, np.nan))
        if n:
            self.last_k = int(idx[-1])
            if inside[-1]:
                self.value, self.target = float(held[-1]), float(goal[-1])
        return out


@dataclass
class PhaseRun:
    """Keep a cyclic phase turning at its last good rate while the input is bad."""

    last_k: int = -1
    phase: float = np.nan
    step: float = np.nan  # cycles per frame

    def apply(self, phase: Array, good: BoolArray, step: Array, k0: int) -> Array:
        good = good & np.isfinite(phase) & np.isfinite(step)
        idx = last_index(good, k0, self.last_k)
        local = idx - k0
        inside = local >= 0
        safe = np.maximum(local, 0)
        p0 = np.where(inside, phase[safe], self.phase)
        s0 = np.where(inside, step[safe], self.step)
        steps = (np.arange(k0, k0 + phase.size) - idx).astype(np.float64)
        out: Array = np.where(good, phase, np.where(idx >= 0, np.mod(p0 + s0 * steps, 1.0), np.nan))
        if phase.size:
            self.last_k = int(idx[-1])
            if inside[-1]:
                self.phase, self.step = float(p0[-1]), float(s0[-1])
        return out
