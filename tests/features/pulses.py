"""Test signals that the simulator does not make: a pulse with no breathing in it.

Real PPG always carries some breathing; this one has none (no respiratory
baseline or amplitude modulation, no sinus arrhythmia), so breathing derived
from it has nothing to find. Pulses at a heart rate that wanders slowly and
jitters, on a wandering sensor baseline with a little noise, built from the
simulator's own pulse shape.
"""

from __future__ import annotations

import numpy as np

from symphony.inputs import simulated as sim


def pulse_without_breathing(seconds: float, seed: int, fs: float = 64.0) -> np.ndarray:
    """A PPG at `fs` Hz with heartbeats and no breathing at all."""
    rng = np.random.default_rng(seed)
    n = round(seconds * fs)
    hr = 68.0 + 2.0 * sim._smooth_noise(rng, n, fs, 1.5) + 2.0 * sim._smooth_noise(rng, n, fs, 60.0)
    beats = np.flatnonzero(np.diff(np.floor(np.cumsum(hr / 60.0) / fs)) > 0) / fs
    amps = 1.0 + 0.05 * rng.standard_normal(beats.size)
    x = sim._add_shapes(n, beats, sim._pulse_shape(fs), fs, amps)
    x += 0.3 * sim._smooth_noise(rng, n, fs, 8.0) + 0.03 * rng.standard_normal(n)
    out: np.ndarray = x + 50.0
    return out
