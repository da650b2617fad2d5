"""Breathing derived from the pulse or the ECG, for participants who wear no belt.

Breathing modulates the PPG baseline (respiration-induced intensity
variation: venous return and intrathoracic pressure change the blood volume
under the sensor). Band-passing the raw PPG between the slow wander of the
sensor's contact and the heart rate leaves that wave, which is then
decimated to ~10 Hz and handed to the ordinary belt processor (`breath.py`)
as a respiration signal. Causal and
chunk-invariant like every stage: the filter carries its state, and the
samples kept are chosen by their global index, never by chunk position.

From an ECG the same bank runs on another signal: the beat-to-beat heart
rate the ECG heart stage holds per sample (`heart.py`). The heart speeds up
on inhale and slows on exhale (respiratory sinus arrhythmia), so the
band-passed rate is a respiration wave; unlike the ECG's baseline or R
amplitude, whose swing and sign with breathing depend on the lead and the
electrodes, its sign is the same for everyone. It lags the breath by about
one beat interval (an interval's rate describes its middle and is held
through the next) plus the band-pass's delay: measured ~0.1-0.35 cycle on
the simulator, a steady offset that the phase carries. RSA weakens with
arousal and fast breathing (it is ~1.5 bpm in the simulator's aroused
state), where the 0.1 Hz Mayer wave of the heart rate can compete with it.

Limits: breathing faster than ~27/min approaches the filter's corner, and a
resting heart slower than ~45 bpm leaks into the band; quality then comes
from the belt processor's own amplitude and regularity checks.
"""

from __future__ import annotations

import numpy as np

from symphony.features.stream import ABSURD, Array, IntArray, RowBank, hold_invalid, sos_rows

_BAND = (0.07, 0.45)  # Hz: breathing 4-27/min; drops the pulse (>= 45 bpm = 0.75 Hz) ...
_ORDER = 6  # ... and the slow baseline wander of the sensor's contact, both steeply
_TARGET_RATE = 10.0  # Hz after decimation: ample for breathing, cheap for the belt processor


class RiivBank:
    """Pulse-derived respiration for many PPG streams of one rate, as rows."""

    def __init__(self, fs: float) -> None:
        from scipy.signal import butter, sosfilt_zi

        self.fs = fs = float(fs)
        self.step = max(1, round(fs / _TARGET_RATE))
        band = (_BAND[0], min(_BAND[1], 0.4 * fs))
        self.sos = np.ascontiguousarray(
            butter(_ORDER, band, btype="bandpass", fs=fs, output="sos"), dtype=np.float64
        )
        self.zi0 = np.asarray(sosfilt_zi(self.sos))
        self.bank = RowBank(
            {
                "n": ((), 0, np.int64),
                "zi": ((self.sos.shape[0], 2), 0.0, np.float64),
                "last": ((1,), 0.0, np.float64),
            }
        )

    @property
    def rate(self) -> float:
        """Samples per second of the derived respiration."""
        return self.fs / self.step

    def add_row(self) -> int:
        return self.bank.add_row()

    def start_row(self, row: int, first: float) -> None:
        """(Re)start `row`, the filter settled at the first valid sample."""
        self.bank.reset_row(row)
        self.bank.state["zi"][row] = self.zi0 * first
        self.bank.state["last"][row] = first

    def process(self, rows: IntArray, x: Array) -> list[tuple[int, Array]]:
        """Derived respiration samples of raw PPG chunks (len(rows), m), per row.

        Row i's samples sit at its global PPG indices first, first + step, ...
        (returned with them); bad input samples give NaN there, which the belt
        processor treats as a gap (quality 0, values held).
        """
        m = x.shape[-1]
        st = self.bank.gather(rows)
        n0 = st["n"]
        valid = np.isfinite(x) & (np.abs(x) < ABSURD)
        filled, st["last"] = hold_invalid(x, valid, st["last"])
        y, st["zi"] = sos_rows(self.sos, filled, st["zi"])
        st["n"] = n0 + m
        self.bank.scatter(rows, st)
        out: list[tuple[int, Array]] = []
        for i, first in enumerate((-n0 % self.step).tolist()):
            keep = np.arange(first, m, self.step)
            out.append((int(n0[i]) + first, np.where(valid[i, keep], y[i, keep], np.nan)))
        return out
