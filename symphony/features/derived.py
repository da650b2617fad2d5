"""Breathing derived from the pulse, for participants who wear no belt.

Breathing modulates the PPG baseline (respiration-induced intensity
variation: venous return and intrathoracic pressure change the blood volume
under the sensor). Band-passing the raw PPG between the slow wander of the
sensor's contact and the heart rate leaves that wave, which is then
decimated to ~10 Hz and handed to the ordinary belt processor (`breath.py`)
as a respiration signal. Causal and
chunk-invariant like every stage: the filter carries its state, and the
samples kept are chosen by their global index, never by chunk position.

Limits: breathing faster than ~27/min approaches the filter's corner, and a
resting heart slower than ~45 bpm leaks into the band; quality then comes
from the belt processor's own amplitude and regularity checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.signal import butter, sosfilt_zi

from symphony.features.stream import ABSURD, Array, hold_invalid, sos_filter

_BAND = (0.07, 0.45)  # Hz: breathing 4-27/min; drops the pulse (>= 45 bpm = 0.75 Hz) ...
_ORDER = 6  # ... and the slow baseline wander of the sensor's contact, both steeply
_TARGET_RATE = 10.0  # Hz after decimation: ample for breathing, cheap for the belt processor


@dataclass
class RiivState:
    """Filter state and sample counter of one PPG stream's derived respiration."""

    fs: float
    step: int  # keep every step-th sample
    sos: Array
    zi: Array
    last: Array = field(default_factory=lambda: np.zeros(1))
    n: int = 0

    @property
    def rate(self) -> float:
        return self.fs / self.step


def new_riiv_state(fs: float, first: float) -> RiivState:
    """Fresh state for PPG at `fs` Hz, the filter settled at the first valid sample."""
    step = max(1, round(fs / _TARGET_RATE))
    band = (_BAND[0], min(_BAND[1], 0.4 * fs))
    sos = np.asarray(butter(_ORDER, band, btype="bandpass", fs=fs, output="sos"))
    zi = np.asarray(sosfilt_zi(sos)) * first
    return RiivState(fs, step, sos, zi, np.array([first]))


def process_riiv(state: RiivState, x: Array) -> tuple[int, Array]:
    """Derived respiration samples of one raw PPG chunk, and the global index of the first.

    The returned samples sit at global PPG indices first, first + step, ...;
    bad input samples give NaN there, which the belt processor treats as a
    gap (quality 0, values held).
    """
    n0, m = state.n, x.size
    valid = np.isfinite(x) & (np.abs(x) < ABSURD)
    filled, state.last = hold_invalid(x, valid, state.last)
    y, state.zi = sos_filter(state.sos, filled, state.zi)
    state.n = n0 + m
    first = -n0 % state.step  # local index of the first multiple of step
    keep = np.arange(first, m, state.step)
    out: Array = np.where(valid[keep], y[keep], np.nan)
    return n0 + first, out
