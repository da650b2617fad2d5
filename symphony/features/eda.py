"""Skin conductance level and phasic activity, the sympathetic half of arousal.

Two numbers per moment: the *level* (conductance smoothed over a few
seconds, tonic plus recent responses) and the *activity* (how fast the
conductance has been rising over the last ~20 s, in microsiemens per minute,
which counts skin conductance responses and a climbing tonic level alike
without having to segment individual responses). Both are averaged only over
good samples (a ratio of linear smoothers), so contact loss neither zeroes
them nor needs a sequential loop.
"""

from __future__ import annotations

import numpy as np

from symphony.features.stream import (
    ABSURD,
    Array,
    BoolArray,
    IntArray,
    RowBank,
    ema,
    ema_alpha,
    ema_debias_rows,
    screen_rows,
    sos_rows,
)

_RANGE_US = (0.05, 100.0)  # outside: no skin contact, or a short circuit
_FLAT_RUN = 3.0  # s of identical samples = flat line (coarse ADCs repeat values a while)
_SETTLE = 1.0  # s after bad samples before values are trusted again
_LEVEL_TAU, _ACTIVITY_TAU = 4.0, 20.0


class EdaBank:
    """Skin conductance level and activity for many EDA streams of one rate, as rows."""

    names: tuple[str, ...] = ("eda_level", "eda_activity", "q_eda")

    def __init__(self, fs: float) -> None:
        from scipy.signal import butter, sosfilt_zi

        self.fs = fs = float(fs)
        self.sos = np.ascontiguousarray(
            butter(2, min(1.0, 0.4 * fs), btype="lowpass", fs=fs, output="sos")
        )
        self.zi0 = np.asarray(sosfilt_zi(self.sos))
        self.a_level, self.a_act = ema_alpha(_LEVEL_TAU, fs), ema_alpha(_ACTIVITY_TAU, fs)
        self.a_q = ema_alpha(2.0, fs)
        self.bank = RowBank(
            {
                "n": ((), 0, np.int64),
                "zi": ((self.sos.shape[0], 2), 0.0, np.float64),
                "y_prev": ((1,), 0.0, np.float64),
                "last_raw": ((1,), 0.0, np.float64),
                "run_value": ((), np.nan, np.float64),
                "run": ((), 0, np.int64),
                "last_bad": ((), -(10**9), np.int64),
                "smooth": ((4, 1), 0.0, np.float64),  # level, level weight, activity, its weight
                "q": ((1,), 0.0, np.float64),
            }
        )

    def add_row(self) -> int:
        return self.bank.add_row()

    def start_row(self, row: int, start: float, first: Array) -> None:
        """(Re)start `row`; the smoothing filter starts settled at the first sample."""
        x0 = float(np.ravel(first)[0])
        self.bank.reset_row(row)
        self.bank.state["zi"][row] = self.zi0 * x0
        self.bank.state["y_prev"][row] = x0
        self.bank.state["last_raw"][row] = x0

    def process(self, rows: IntArray, x: Array) -> tuple[dict[str, Array], list[Array]]:
        """Consume chunks of skin conductance in microsiemens (len(rows), m)."""
        fs, m = self.fs, x.shape[-1]
        st = self.bank.gather(rows)
        n0 = st["n"]
        valid: BoolArray = (
            np.isfinite(x) & (x > _RANGE_US[0]) & (x < _RANGE_US[1]) & (np.abs(x) < ABSURD)
        )
        filled, signal_ok, last_bad = screen_rows(n0, x, valid, _FLAT_RUN * fs, st)
        ok = signal_ok & ((n0[:, None] + np.arange(m) - last_bad) >= _SETTLE * fs)
        w = ok.astype(np.float64)
        y, st["zi"] = sos_rows(self.sos, filled, st["zi"])
        rise = np.maximum(np.diff(y, prepend=st["y_prev"], axis=-1), 0.0) * fs * 60.0
        if m:
            st["y_prev"] = y[:, -1:].copy()
        sm = st["smooth"]
        level, sm[:, 0] = ema(y * w, self.a_level, sm[:, 0])
        level_w, sm[:, 1] = ema(w, self.a_level, sm[:, 1])
        act, sm[:, 2] = ema(rise * w, self.a_act, sm[:, 2])
        act_w, sm[:, 3] = ema(w, self.a_act, sm[:, 3])
        with np.errstate(invalid="ignore", divide="ignore"):
            level = level / level_w
            activity = act / act_w
        q, st["q"] = ema(w, self.a_q, st["q"])
        quality = np.clip(q / ema_debias_rows(n0, m, self.a_q), 0.0, 1.0)
        quality = np.where(ok, quality, 0.0)  # fast attack, slow release
        st["n"] = n0 + m
        self.bank.scatter(rows, st)
        good = act_w > 1e-3
        values = {
            "eda_level": np.where(good, level, np.nan),
            "eda_activity": np.where(good, activity, np.nan),
        }
        return {**values, "q_eda": quality}, []
