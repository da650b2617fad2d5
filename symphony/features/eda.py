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

from dataclasses import dataclass, field

import numpy as np
from scipy.signal import butter, sosfilt_zi

from symphony.features.stream import (
    ABSURD,
    Array,
    BoolArray,
    EmaBank,
    IntArray,
    ema_debias,
    screen,
    sos_filter,
)

_RANGE_US = (0.05, 100.0)  # outside: no skin contact, or a short circuit
_FLAT_RUN = 3.0  # s of identical samples = flat line (coarse ADCs repeat values a while)
_SETTLE = 1.0  # s after bad samples before values are trusted again
_LEVEL_TAU, _ACTIVITY_TAU = 4.0, 20.0


@dataclass
class EdaState:
    """Everything needed to continue EDA processing with the next chunk."""

    fs: float
    n: int = 0
    sos: Array = field(default_factory=lambda: np.zeros((0, 6)))
    zi: Array = field(default_factory=lambda: np.zeros((0, 2)))
    y_prev: float = 0.0
    last_raw: Array = field(default_factory=lambda: np.zeros(1))
    run_value: Array = field(default_factory=lambda: np.array(np.nan))
    run: IntArray = field(default_factory=lambda: np.array(0))
    last_bad: int = -(10**9)
    emas: EmaBank | None = None


def new_eda_state(fs: float, first: Array) -> EdaState:
    """Fresh state at `fs` Hz; the smoothing filter starts settled at sample `first`."""
    x0 = float(np.ravel(first)[0])
    sos = np.asarray(butter(2, min(1.0, 0.4 * fs), btype="lowpass", fs=fs, output="sos"))
    emas = EmaBank(
        fs,
        {
            "level": _LEVEL_TAU,
            "level_w": _LEVEL_TAU,
            "act": _ACTIVITY_TAU,
            "act_w": _ACTIVITY_TAU,
            "q": 2.0,
        },
    )
    zi = np.asarray(sosfilt_zi(sos)) * x0
    return EdaState(fs=fs, sos=sos, zi=zi, y_prev=x0, last_raw=np.array([x0]), emas=emas)


@dataclass
class EdaChunk:
    """Per-sample level (uS), activity (uS/min, >= 0) and quality (0..1)."""

    level: Array
    activity: Array
    quality: Array


def process_eda(state: EdaState, x: Array) -> EdaChunk:
    """Consume one chunk of skin conductance in microsiemens; `state` is updated."""
    fs, n0, m = state.fs, state.n, x.size
    assert state.emas is not None
    valid: BoolArray = (
        np.isfinite(x) & (x > _RANGE_US[0]) & (x < _RANGE_US[1]) & (np.abs(x) < ABSURD)
    )
    filled, signal_ok, last_bad = screen(state, x, valid, _FLAT_RUN * fs)
    ok = signal_ok & ((np.arange(n0, n0 + m) - last_bad) >= _SETTLE * fs)
    w = ok.astype(np.float64)
    y, state.zi = sos_filter(state.sos, filled, state.zi)
    rise = np.maximum(np.diff(y, prepend=state.y_prev), 0.0) * fs * 60.0
    state.y_prev = float(y[-1]) if m else state.y_prev
    e = state.emas
    with np.errstate(invalid="ignore", divide="ignore"):
        level = e.run("level", y * w) / e.run("level_w", w)
        act_w = e.run("act_w", w)
        activity = e.run("act", rise * w) / act_w
    quality = np.clip(e.run("q", w) / ema_debias(n0 + m, m, e.alpha("q")), 0.0, 1.0)
    quality = np.where(ok, quality, 0.0)  # fast attack, slow release
    state.n = n0 + m
    good = act_w > 1e-3
    return EdaChunk(
        level=np.where(good, level, np.nan),
        activity=np.where(good, activity, np.nan),
        quality=quality,
    )
