"""EEG band balance for "relaxation": (theta + alpha) against beta, causally.

Each channel is band-passed into theta (4-8 Hz), alpha (8-13 Hz) and beta
(13-30 Hz); squared band signals are averaged over ~2 s *only where the
channel is clean*, as a ratio of two linear smoothers (smoothed weighted
power over smoothed weight), which needs no per-sample Python and stays
exact across chunks. Blinks and movement make large slow deflections that
would leak into theta, so a sample counts as clean only when the channel had
no large excursion shortly before *and after* it: the band power is read
through a short delay line, which costs a quarter second of latency on a
feature that changes over tens of seconds anyway.
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
    hold_invalid,
    last_index,
    repeat_runs,
    sos_filter,
)

BANDS = {"theta": (4.0, 8.0), "alpha": (8.0, 13.0), "beta": (13.0, 30.0)}
_ARTIFACT_UV = 100.0  # excursion of the 1 Hz high-passed signal that marks a blink/movement
_FLAT_UV2 = 0.05  # mean square (uV^2) below which a channel is flat (railed, unplugged)
_FLAT_RUN = 0.1  # s of identical samples = flat
_BEFORE, _AFTER = 0.5, 0.25  # s of clean signal needed before/after a sample
_SMOOTH = 2.0  # s: band power averaging
_MIN_CLEAN = 0.1  # share of recent channel-samples that must be clean for a ratio


@dataclass
class EegState:
    """Everything needed to continue EEG processing with the next chunk."""

    fs: float
    channels: int
    n: int = 0
    hp: Array = field(default_factory=lambda: np.zeros((0, 6)))
    hp_zi: Array = field(default_factory=lambda: np.zeros(0))
    band_sos: dict[str, Array] = field(default_factory=dict)
    band_zi: dict[str, Array] = field(default_factory=dict)
    last_raw: Array = field(default_factory=lambda: np.zeros((0, 1)))
    run_value: Array = field(default_factory=lambda: np.zeros(0))
    run: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    last_artifact: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    delay_line: Array = field(default_factory=lambda: np.zeros((0, 0, 0)))
    emas: EmaBank | None = None


def new_eeg_state(fs: float, first: Array) -> EegState:
    """Fresh state for `first.size` channels at `fs` Hz; filters start settled at `first`."""
    x0 = np.where(np.isfinite(first) & (np.abs(first) < ABSURD), first, 0.0).reshape(-1, 1)
    c = x0.shape[0]
    hp = np.asarray(butter(2, 1.0, btype="highpass", fs=fs, output="sos"))
    hp_zi = np.asarray(sosfilt_zi(hp))[:, None, :] * x0[None, :, :]
    band_sos, band_zi = {}, {}
    for name, band in BANDS.items():
        sos = np.asarray(butter(2, band, btype="bandpass", fs=fs, output="sos"))
        band_sos[name] = sos
        band_zi[name] = np.asarray(sosfilt_zi(sos))[:, None, :] * x0[None, :, :]
    delay = round(_AFTER * fs)
    return EegState(
        fs=fs,
        channels=c,
        hp=hp,
        hp_zi=hp_zi,
        band_sos=band_sos,
        band_zi=band_zi,
        last_raw=x0,
        last_artifact=np.full(c, -(10**9), dtype=np.int64),
        run_value=np.full(c, np.nan),
        run=np.zeros(c, dtype=np.int64),
        delay_line=np.zeros((len(BANDS), c, delay)),
        emas=EmaBank(fs, {**{b: _SMOOTH for b in BANDS}, "w": _SMOOTH, "flat": 1.0}),
    )


@dataclass
class EegChunk:
    """Per-sample outputs: log((theta + alpha) / beta) and a 0..1 quality."""

    ratio: Array
    quality: Array


def process_eeg(state: EegState, x: Array) -> EegChunk:
    """Consume a (channels, samples) chunk of EEG in microvolts; `state` is updated."""
    fs, n0, m = state.fs, state.n, x.shape[-1]
    assert state.emas is not None
    valid: BoolArray = np.isfinite(x) & (np.abs(x) < ABSURD)
    filled, state.last_raw = hold_invalid(x, valid, state.last_raw)
    hp, state.hp_zi = sos_filter(state.hp, filled, state.hp_zi)
    runs, state.run_value, state.run = repeat_runs(filled, state.run_value, state.run)
    # Flat: identical samples (railed, unplugged) or no microvolt of activity at all.
    flat = (runs >= _FLAT_RUN * fs) | (state.emas.run("flat", hp * hp) < _FLAT_UV2)
    artifact = ~valid | (np.abs(hp) > _ARTIFACT_UV) | flat
    last_art = np.empty((state.channels, m), dtype=np.int64)
    for ch in range(state.channels):
        last_art[ch] = last_index(artifact[ch], n0, int(state.last_artifact[ch]))
    if m:
        state.last_artifact = last_art[:, -1].copy()
    d = state.delay_line.shape[-1]
    # The power at sample n - d is used at sample n, when the signal after it is known too.
    clean = (np.arange(n0, n0 + m) - last_art) > round((_BEFORE + _AFTER) * fs)
    w = clean.astype(np.float64)
    # Smoothing is linear, so sum over channels first and smooth once per band.
    powers = []
    for i, name in enumerate(BANDS):
        y, state.band_zi[name] = sos_filter(state.band_sos[name], filled, state.band_zi[name])
        delayed = np.concatenate((state.delay_line[i], y * y), axis=-1)
        state.delay_line[i] = delayed[:, delayed.shape[-1] - d :]
        powers.append(state.emas.run(name, (delayed[:, :m] * w).sum(axis=0)))
    weight = state.emas.run("w", w.mean(axis=0))
    quality = np.clip(weight / ema_debias(n0 + m, m, state.emas.alpha("w")), 0.0, 1.0)
    # Fast attack: never more than the share of channels clean right now.
    quality = np.minimum(quality, w.mean(axis=0))
    state.n = n0 + m
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.log(powers[0] + powers[1]) - np.log(powers[2])
    ratio = np.where((quality >= _MIN_CLEAN) & np.isfinite(ratio), ratio, np.nan)
    return EegChunk(ratio=ratio, quality=quality)
