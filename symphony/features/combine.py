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

from dataclasses import dataclass, field

import numpy as np

from symphony.features.stream import Array, BoolArray, IntArray, ema, ema_alpha, last_index_rows


def baseline_rows(
    x: Array, good: BoolArray, tau_frames: float, min_frames: int, st: dict[str, np.ndarray]
) -> Array:
    """`Baseline.update` for participants (P, features, frames); `st`: zi (P, 2F, 1), count."""
    p, f, n = x.shape
    g = good & np.isfinite(x)
    both = np.concatenate([np.where(g, x, 0.0), g.astype(np.float64)], axis=1)
    y, zi = ema(both.reshape(p * 2 * f, n), ema_alpha(tau_frames, 1.0), st["zi"].reshape(-1, 1))
    y = y.reshape(p, 2 * f, n)
    st["zi"] = zi.reshape(p, 2 * f, 1)
    counts = st["count"][:, :, None] + np.cumsum(g, axis=2)
    if n:
        st["count"] = counts[:, :, -1].copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        base = y[:, :f] / y[:, f:]
    out: Array = np.where(counts >= min_frames, base, np.nan)
    return out


def glide_rows(
    value: Array, good: BoolArray, target: Array, k0: IntArray, decay: float, st: dict[str, Array]
) -> Array:
    """Hold-and-glide for rows (participants, frames) starting at frames k0 (rows,).

    `st` holds each row's last good frame `last_k` (int), and the value and
    target held from it.
    """
    good = good & np.isfinite(value)
    n = value.shape[-1]
    idx = last_index_rows(good, k0, st["last_k"].astype(np.int64))
    local = idx - k0[:, None]
    inside = local >= 0
    safe = np.maximum(local, 0)
    held = np.where(inside, np.take_along_axis(value, safe, axis=1), st["value"][:, None])
    goal = np.where(inside, np.take_along_axis(target, safe, axis=1), st["target"][:, None])
    goal = np.where(np.isfinite(goal), goal, held)
    steps = (k0[:, None] + np.arange(n) - idx).astype(np.float64)
    glided = goal + (held - goal) * decay**steps
    out: Array = np.where(good, value, np.where(idx >= 0, glided, np.nan))
    if n:
        st["last_k"] = idx[:, -1].astype(np.float64)
        last_inside = inside[:, -1]
        st["value"] = np.where(last_inside, held[:, -1], st["value"])
        st["target"] = np.where(last_inside, goal[:, -1], st["target"])
    return out


def phase_rows(
    phase: Array, good: BoolArray, step: Array, k0: IntArray, st: dict[str, Array]
) -> Array:
    """Keep a cyclic phase turning at its last good rate while the input is bad (rows)."""
    good = good & np.isfinite(phase) & np.isfinite(step)
    n = phase.shape[-1]
    idx = last_index_rows(good, k0, st["last_k"].astype(np.int64))
    local = idx - k0[:, None]
    inside = local >= 0
    safe = np.maximum(local, 0)
    p0 = np.where(inside, np.take_along_axis(phase, safe, axis=1), st["value"][:, None])
    s0 = np.where(inside, np.take_along_axis(step, safe, axis=1), st["target"][:, None])
    steps = (k0[:, None] + np.arange(n) - idx).astype(np.float64)
    out: Array = np.where(good, phase, np.where(idx >= 0, np.mod(p0 + s0 * steps, 1.0), np.nan))
    if n:
        st["last_k"] = idx[:, -1].astype(np.float64)
        last_inside = inside[:, -1]
        st["value"] = np.where(last_inside, p0[:, -1], st["value"])
        st["target"] = np.where(last_inside, s0[:, -1], st["target"])
    return out


def new_hold_state(rows: int) -> dict[str, Array]:
    """Fresh state for `glide_rows` / `phase_rows`: nothing good seen yet."""
    return {
        "last_k": np.full(rows, -1.0),
        "value": np.full(rows, np.nan),
        "target": np.full(rows, np.nan),
    }


@dataclass
class Glide:
    """Hold the last good value and glide toward a target while the input is bad (one row)."""

    decay: float  # per frame
    state: dict[str, Array] = field(default_factory=lambda: new_hold_state(1))

    def apply(self, value: Array, good: BoolArray, target: Array, k0: int) -> Array:
        """Output frames k0.. : `value` where good, else the glide; NaN before anything good."""
        k = np.array([k0], dtype=np.int64)
        out: Array = glide_rows(value[None], good[None], target[None], k, self.decay, self.state)[0]
        return out
