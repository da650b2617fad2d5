"""Phases in a cycle: where each heart is in its beat, and how together a room's phases are.

Both are computed for one moment across the people present, on plain
floats where it runs per person per update.
"""

from __future__ import annotations

import bisect
import math

import numpy as np
import numpy.typing as npt

from symphony.collective.robust import quantise

Array = npt.NDArray[np.float64]


def beat_phase_now(now: float, beats: list[float]) -> float:
    """Position (0..1) within the current heartbeat, knowing only past beats.

    The phase since the last beat at or before `now`, scaled by the interval
    before it, clipped to 0..0.999 (held just before the next beat when it is
    late). NaN before two beats were seen.
    """
    k = bisect.bisect_right(beats, now) - 1
    if len(beats) < 2 or k < 1:
        return math.nan
    ibi = beats[k] - beats[k - 1]
    phase = (now - beats[k]) / (ibi if ibi > 0 else math.inf)
    return min(max(phase, 0.0), 0.999)


def phase_stats(phases: Array, weights: Array) -> tuple[float, float]:
    """(mean phase 0..1, bias-corrected coherence 0..1) of cycle phases across people.

    Each person counts with their fade weight (quantised as for the medians).
    The mean is NaN when nobody is heard (or the phases cancel exactly). The
    coherence is the Kuramoto order parameter R corrected for its bias: R of
    n independent phases is about 0.89 / sqrt(n), not 0; with the effective
    number of people n (from the weights), R_c^2 = (n R^2 - 1) / (n - 1)
    removes it on average. NaN below 3 people heard: synchrony needs company.
    """
    p = np.asarray(phases, dtype=np.float64)
    w = quantise(weights)
    finite = np.isfinite(p)
    w[~finite] = 0.0
    total = float(w.sum())
    if total <= 0.0:
        return math.nan, math.nan
    z = complex(np.dot(w, np.exp(2j * np.pi * np.where(finite, p, 0.0))))
    mean = math.nan if abs(z) < 1e-12 else (math.atan2(z.imag, z.real) / (2.0 * math.pi)) % 1.0
    if total < 3.0:
        return mean, math.nan
    r = abs(z) / total
    n_eff = total * total / float(np.dot(w, w))
    coherence = math.sqrt(min(max((n_eff * r * r - 1.0) / (n_eff - 1.0), 0.0), 1.0))
    return mean, coherence
