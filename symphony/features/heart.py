"""Heartbeats, heart rate and HRV from a PPG stream, causally and chunk by chunk.

The fiducial point is the steepest point of the systolic upstroke (the peak
of the band-passed PPG's slope): it is sharper than the rounded systolic
peak and unaffected by the dicrotic wave, and it is known about 0.1 s after
it happens, which keeps the heartbeat layer of the soundscape tight. The
event is reported at the (sub-sample) time of that steepest point corrected
for the filter's group delay, so event times lie slightly in the past of the
moment they are emitted.

Candidates are slope bumps above a noise-relative floor; a candidate is a
beat when it is tall compared with recent beats, outside the refractory
period and the signal is good around it. Heart rate comes from the last two
accepted inter-beat intervals; intervals that jump more than 30 % from the
recent median (missed or extra beats) are not used.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
from scipy.signal import butter, group_delay, sosfilt, sosfilt_zi

from symphony.features.stream import (
    ABSURD,
    Array,
    BoolArray,
    EmaBank,
    ema_debias,
    hold_invalid,
    last_index,
    parabolic_offset,
    repeat_runs,
)

_BAND = (0.5, 8.0)  # Hz: pulse shape, without breathing wander or hiss
_REFRACTORY = 0.3  # s: no two beats closer than this (200 bpm)
_MIN_IBI, _MAX_IBI = 0.3, 2.0
_IBI_JUMP = 0.3  # relative change to the recent median that marks a missed/extra beat
_STALE = 3.0  # s without a good beat before heart rate is no longer trusted
_FLAT_RUN = 0.25  # s of identical samples = flat line
_SETTLE = 1.0  # s after bad samples before beats are believed again
_CAND_FACTOR = 1.5  # candidate floor, in geometric-RMS units of the slope
_PEAK_FRACTION = 0.4  # a beat's slope peak must reach this part of recent beats
_ARTIFACT_FACTOR = 3.5  # ... and stay below this multiple of them
_MAX_SEGMENT = 0.35  # s: a slope bump longer than this is motion, not a pulse
_LOG_FLOOR = 1e-20  # added to slope power before log; far below any real sensor's noise
_LOG_RATIO_HIGH = np.log(30.0)  # short vs long slope power: above = motion artefact
_LOG_RATIO_LOW = np.log(1.0 / 100.0)  # ... below = signal vanished


@dataclass
class _Segment:
    """A slope bump still open at the end of a chunk."""

    start: int
    best_n: int
    best: float
    left: float
    ok: bool


@dataclass
class HeartState:
    """Everything needed to continue heart processing with the next chunk."""

    fs: float
    start: float
    n: int = 0
    sos: Array = field(default_factory=lambda: np.zeros((0, 6)))
    zi: Array = field(default_factory=lambda: np.zeros((0, 2)))
    delay: float = 0.0
    last_raw: Array = field(default_factory=lambda: np.zeros(1))
    run_value: float = np.nan
    run: int = 0
    last_bad: int = -(10**9)
    y_prev: float = 0.0
    d_prev: float = 0.0
    above_prev: bool = False
    seg: _Segment | None = None
    emas: EmaBank | None = None
    peaks: deque[float] = field(default_factory=lambda: deque(maxlen=8))
    last_beat_t: float = -np.inf
    last_beat_n: int = -(10**9)
    ibis: deque[float] = field(default_factory=lambda: deque(maxlen=17))
    rejects: int = 0
    hr: float = np.nan
    rmssd: float = np.nan


def new_heart_state(fs: float, start: float, first: Array) -> HeartState:
    """Fresh state for a PPG stream at `fs` Hz whose first valid sample `first` is at `start` s.

    The filter starts in steady state at that sample, so the large DC offset
    of raw PPG does not ring through the first seconds.
    """
    x0 = float(np.ravel(first)[0])
    sos = np.asarray(butter(2, _BAND, btype="bandpass", fs=fs, output="sos"))
    zi = np.asarray(sosfilt_zi(sos)) * x0
    # Group delay of the band-pass around the upstroke's frequency content.
    b, a = butter(2, _BAND, btype="bandpass", fs=fs)
    delay = float(group_delay((b, a), w=[3.0], fs=fs)[1][0]) / fs
    emas = EmaBank(fs, {"short": 1.0, "mid": 3.0, "long": 20.0, "long_w": 20.0, "q": 2.0})
    return HeartState(
        fs=fs, start=start, sos=sos, zi=zi, delay=delay, emas=emas, last_raw=np.array([x0])
    )


@dataclass
class HeartChunk:
    """Per-sample outputs for one chunk, plus the beats it confirmed."""

    hr: Array
    rmssd: Array
    quality: Array
    beats: Array


def process_heart(state: HeartState, x: Array) -> HeartChunk:
    """Consume one chunk of raw PPG; `state` is updated in place."""
    fs, n0, m = state.fs, state.n, x.size
    assert state.emas is not None
    valid: BoolArray = np.isfinite(x) & (np.abs(x) < ABSURD)
    filled, state.last_raw = hold_invalid(x, valid, state.last_raw)
    runs, state.run_value, state.run = repeat_runs(filled, state.run_value, state.run)
    signal_ok = valid & (runs < _FLAT_RUN * fs)
    last_bad = last_index(~signal_ok, n0, state.last_bad)
    state.last_bad = int(last_bad[-1]) if m else state.last_bad

    y, state.zi = sosfilt(state.sos, filled, zi=state.zi)
    d = np.diff(y, prepend=state.y_prev)
    state.y_prev = float(y[-1]) if m else state.y_prev
    lp = np.log(d * d + _LOG_FLOOR)
    mask = signal_ok.astype(np.float64)
    short = state.emas.run("short", lp) / ema_debias(n0 + m, m, state.emas.alpha("short"))
    mid = state.emas.run("mid", lp) / ema_debias(n0 + m, m, state.emas.alpha("mid"))
    long_num = state.emas.run("long", lp * mask)
    long_den = state.emas.run("long_w", mask)
    with np.errstate(invalid="ignore", divide="ignore"):
        long = long_num / long_den
        ratio = np.where(long_den > 0, short - long, 0.0)
    amp_ok = (ratio < _LOG_RATIO_HIGH) & (ratio > _LOG_RATIO_LOW)
    settled = (np.arange(n0, n0 + m) - last_bad) >= _SETTLE * fs
    ok = signal_ok & settled & amp_ok
    thr = _CAND_FACTOR * np.exp(0.5 * mid)

    hr0, rmssd0 = state.hr, state.rmssd
    beats, emit_at, snaps = _find_beats(state, d, thr, ok)
    hr = _step_values(emit_at, snaps[:, 0], hr0, n0, m)
    rmssd = _step_values(emit_at, snaps[:, 1], rmssd0, n0, m)
    state.n = n0 + m
    q = state.emas.run("q", ok.astype(np.float64)) / ema_debias(n0 + m, m, state.emas.alpha("q"))
    age = (np.arange(n0, n0 + m) - _latest(emit_at, n0, m, state)) / fs
    quality = np.where(age < _STALE, q, 0.0)
    state.last_beat_n = int(emit_at[-1]) if emit_at.size else state.last_beat_n
    return HeartChunk(hr=hr, rmssd=rmssd, quality=quality, beats=beats)


def _latest(emit_at: Array, n0: int, m: int, state: HeartState) -> Array:
    """Global index of the latest beat emission at or before each sample."""
    mark = np.zeros(m, dtype=bool)
    mark[(emit_at - n0).astype(np.int64)] = True
    out: Array = last_index(mark, n0, state.last_beat_n).astype(np.float64)
    return out


def _find_beats(
    state: HeartState, d: Array, thr: Array, ok: BoolArray
) -> tuple[Array, Array, Array]:
    """Beat times (s), the global sample index confirming each, and (hr, rmssd) after each."""
    fs, n0, m = state.fs, state.n, d.size
    above = d > thr
    prev = np.concatenate(([state.above_prev], above[:-1])) if m else above
    rises = np.flatnonzero(above & ~prev)
    falls = np.flatnonzero(~above & prev)
    dd = np.concatenate(([state.d_prev], d))  # dd[i + 1] == d[i]
    times: list[float] = []
    emitted: list[tuple[int, float, float]] = []
    seg = state.seg
    fi = 0
    if seg is not None:
        # Continue the bump left open by the previous chunk.
        end = int(falls[0]) if falls.size else m
        fi = 1 if falls.size else 0
        if end > 0:
            j = int(np.argmax(d[:end]))
            if d[j] > seg.best:
                seg = _Segment(seg.start, n0 + j, float(d[j]), float(dd[j]), bool(ok[j]))
        if falls.size:
            right = float(dd[seg.best_n - n0 + 2]) if seg.best_n - n0 + 2 <= m else np.nan
            _close(state, seg, n0 + end, right, bool(ok[end]), times, emitted)
            seg = None
    for r in rises:
        r = int(r)
        while fi < falls.size and falls[fi] <= r:
            fi += 1
        end = int(falls[fi]) if fi < falls.size else m
        j = r + int(np.argmax(d[r:end]))
        seg = _Segment(n0 + r, n0 + j, float(d[j]), float(dd[j]), bool(ok[j]))
        if end < m:
            _close(state, seg, n0 + end, float(dd[j + 2]), bool(ok[end]), times, emitted)
            seg = None
            fi += 1
    state.seg = seg
    if m:
        state.above_prev = bool(above[-1])
        state.d_prev = float(d[-1])
    snaps = np.asarray(emitted, dtype=np.float64).reshape(-1, 3)
    return np.asarray(times), snaps[:, 0], snaps[:, 1:]


def _close(
    state: HeartState,
    seg: _Segment,
    end_n: int,
    right: float,
    ok_end: bool,
    times: list[float],
    emitted: list[tuple[int, float, float]],
) -> None:
    """Decide whether a finished slope bump was a heartbeat."""
    fs = state.fs
    t = state.start + (seg.best_n + parabolic_offset(seg.left, seg.best, right)) / fs - state.delay
    if not (seg.ok and ok_end) or (end_n - seg.start) > _MAX_SEGMENT * fs:
        return
    if t - state.last_beat_t > _STALE:
        state.peaks.clear()  # after a gap, relearn how tall beats are
    if state.peaks:
        ref = float(np.median(state.peaks))
        if seg.best < _PEAK_FRACTION * ref or seg.best > _ARTIFACT_FACTOR * ref:
            return
    if t - state.last_beat_t < _REFRACTORY:
        return
    state.peaks.append(seg.best)
    _accept_interval(state, t - state.last_beat_t)
    state.last_beat_t = t
    times.append(t)
    emitted.append((end_n, state.hr, state.rmssd))


def _accept_interval(state: HeartState, ibi: float) -> None:
    """Keep plausible inter-beat intervals; reset after repeated surprises."""
    if not (_MIN_IBI <= ibi <= _MAX_IBI):
        state.ibis.clear()
        state.hr = np.nan
        return
    recent = list(state.ibis)[-5:]
    if len(recent) >= 3:
        med = float(np.median(recent))
        if abs(ibi - med) > _IBI_JUMP * med:
            state.rejects += 1
            if state.rejects >= 4:
                state.ibis.clear()
                state.rejects = 0
            return
    state.rejects = 0
    state.ibis.append(ibi)
    ibis = np.asarray(state.ibis)
    state.hr = float(60.0 / np.mean(ibis[-2:]))
    if ibis.size >= 5:
        state.rmssd = float(1000.0 * np.sqrt(np.mean(np.diff(ibis) ** 2)))


def _step_values(at: Array, values: Array, before: float, n0: int, m: int) -> Array:
    """Per-sample value that changes to values[i] at global sample at[i] and holds."""
    pos = np.searchsorted(at, np.arange(n0, n0 + m), side="right") - 1
    out: Array = np.where(pos >= 0, values[np.maximum(pos, 0)] if values.size else before, before)
    return out
