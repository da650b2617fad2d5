"""Heartbeats, heart rate and HRV from a PPG stream, causally and chunk by chunk.

The fiducial point is the steepest point of the systolic upstroke (the peak
of the band-passed PPG's slope): it is sharper than the rounded systolic
peak and unaffected by the dicrotic wave, and it is confirmed about 0.15 s
after it happens (when the slope has fallen back), which keeps the heartbeat
layer of the soundscape tight. The event is reported at the (sub-sample)
time of that steepest point corrected for the filter's group delay, so event
times lie slightly in the past of the moment they are emitted.

Candidates are slope bumps above a floor that follows the slope's typical
size (see `LevelTracker`); a candidate is a beat when it is tall compared
with recent beats, outside the refractory period, and the signal is good
around it. Heart rate is beat-to-beat (60 / the last inter-beat interval,
which is what RSA-driven music wants); intervals that jump more than 30 %
from the recent median (missed or extra beats) are not used.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field

import numpy as np
from scipy.signal import butter, group_delay, sosfilt_zi

from symphony.features.stream import (
    ABSURD,
    Array,
    BoolArray,
    EmaBank,
    IntArray,
    LevelTracker,
    ema_debias,
    last_index,
    median_small,
    parabolic_offset,
    screen,
    sos_filter,
)

_BAND = (0.5, 6.0)  # Hz: the pulse upstroke, without breathing wander or hiss ...
_ORDER = 1  # ... with a gentle filter: less delay before a beat can be confirmed
_REFRACTORY = 0.3  # s: no two beats closer than this (200 bpm) ...
_REFRACTORY_IBI = 0.6  # ... nor closer than this part of the recent interval (dicrotic wave),
_REFRACTORY_MAX = 0.45  # ... capped, so a run of missed beats cannot lock us at half rate
_KNOWN_RHYTHM = 3  # accepted intervals before the refractory period follows the rhythm
_MIN_IBI, _MAX_IBI = 0.3, 2.0
_IBI_JUMP = 0.3  # relative change to the recent median that marks a missed/extra beat
_STALE = 3.0  # s without a good beat before heart rate is no longer trusted
_FLAT_RUN = 0.25  # s of identical samples = flat line
_SETTLE = 1.0  # s after bad samples before beats are believed again
_CAND_FACTOR = 2.0  # candidate floor, in geometric-RMS units of the slope
_PEAK_FRACTION = 0.5  # a beat's slope peak must reach this part of recent beats
_ARTIFACT_FACTOR = 3.5  # ... and stay below this multiple of them
_MAX_SEGMENT = 0.35  # s: a slope bump longer than this is motion, not a pulse
_LOG_FLOOR = 1e-20  # added to slope power before log; far below any real sensor's noise
_LOG_RATIO_HIGH = np.log(10.0)  # recent vs reference slope power: above = motion artefact
_LOG_RATIO_LOW = np.log(1.0 / 100.0)  # ... below = signal vanished
_RELEARN = 10  # 1 s blocks of a new level before it is accepted as the norm


@dataclass
class _Segment:
    """A slope bump still open at the end of a chunk."""

    start: int
    best_n: int
    best: float
    left: float
    right: float  # NaN while the sample after the best has not arrived
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
    run_value: Array = field(default_factory=lambda: np.array(np.nan))
    run: IntArray = field(default_factory=lambda: np.array(0))
    last_bad: int = -(10**9)
    y_prev: Array = field(default_factory=lambda: np.zeros(2))
    d_prev: float = 0.0
    above_prev: bool = False
    seg: _Segment | None = None
    emas: EmaBank | None = None
    level: LevelTracker | None = None
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
    sos = np.asarray(butter(_ORDER, _BAND, btype="bandpass", fs=fs, output="sos"))
    zi = np.asarray(sosfilt_zi(sos)) * x0
    # Group delay of the band-pass around the upstroke's frequency content.
    b, a = butter(_ORDER, _BAND, btype="bandpass", fs=fs)
    # The slope (y[n] - y[n-2]) / 2 belongs to sample n - 1: one more sample of delay.
    delay = (float(group_delay((b, a), w=[3.0], fs=fs)[1][0]) + 1.0) / fs
    emas = EmaBank(fs, {"short": 1.0, "q": 2.0})
    level = LevelTracker(
        block=max(1, round(fs)),
        alpha=0.1,
        up=_LOG_RATIO_HIGH,
        down=_LOG_RATIO_LOW,
        relearn=_RELEARN,
    )
    return HeartState(
        fs=fs,
        start=start,
        sos=sos,
        zi=zi,
        delay=delay,
        emas=emas,
        level=level,
        last_raw=np.array([x0]),
        y_prev=np.zeros(2),  # the primed filter's output is zero
    )


@dataclass
class HeartChunk:
    """Per-sample outputs for one chunk, plus the beats it confirmed."""

    hr: Array
    rmssd: Array
    quality: Array
    beats: Array
    emitted: Array  # global sample index at which each beat was confirmed


def process_heart(state: HeartState, x: Array) -> HeartChunk:
    """Consume one chunk of raw PPG; `state` is updated in place."""
    fs, n0, m = state.fs, state.n, x.size
    assert state.emas is not None
    valid: BoolArray = np.isfinite(x) & (np.abs(x) < ABSURD)
    filled, signal_ok, last_bad = screen(state, x, valid, _FLAT_RUN * fs)

    y, state.zi = sos_filter(state.sos, filled, state.zi)
    yy = np.concatenate((state.y_prev, y))
    d = 0.5 * (yy[2:] - yy[:-2])
    state.y_prev = yy[-2:]
    lp = np.log(d * d + _LOG_FLOOR)
    short = state.emas.run("short", lp) / ema_debias(n0 + m, m, state.emas.alpha("short"))
    assert state.level is not None
    ref = state.level.update(lp, signal_ok)
    with np.errstate(invalid="ignore"):
        dev = short - ref
    amp_ok = (dev < _LOG_RATIO_HIGH) & (dev > _LOG_RATIO_LOW)
    settled = (np.arange(n0, n0 + m) - last_bad) >= _SETTLE * fs
    ok = signal_ok & settled & amp_ok
    # The candidate floor follows the slope's typical size (robust to bursts).
    thr = np.where(np.isfinite(ref), _CAND_FACTOR * np.exp(0.5 * ref), np.inf)

    hr0, rmssd0 = state.hr, state.rmssd
    beats, emit_at, snaps = _find_beats(state, d, thr, ok)
    hr = _step_values(emit_at, snaps[:, 0], hr0, n0, m)
    rmssd = _step_values(emit_at, snaps[:, 1], rmssd0, n0, m)
    state.n = n0 + m
    q = state.emas.run("q", ok.astype(np.float64)) / ema_debias(n0 + m, m, state.emas.alpha("q"))
    age = (np.arange(n0, n0 + m) - _latest(emit_at, n0, m, state)) / fs
    # Fast attack, slow release: 0 at once on bad signal, then back up at the EMA's pace.
    quality = np.where((age < _STALE) & ok, q, 0.0)
    state.last_beat_n = int(emit_at[-1]) if emit_at.size else state.last_beat_n
    return HeartChunk(hr=hr, rmssd=rmssd, quality=quality, beats=beats, emitted=emit_at)


def _latest(emit_at: Array, n0: int, m: int, state: HeartState) -> Array:
    """Global index of the latest beat emission at or before each sample."""
    mark = np.zeros(m, dtype=bool)
    mark[(emit_at - n0).astype(np.int64)] = True
    out: Array = last_index(mark, n0, state.last_beat_n).astype(np.float64)
    return out


def _find_beats(
    state: HeartState, d: Array, thr: Array, ok: BoolArray
) -> tuple[Array, Array, Array]:
    """Beat times (s), the global sample index confirming each, and (hr, rmssd) after each.

    Slope bumps are the runs of samples above the candidate floor; a bump
    may start in an earlier chunk (`state.seg`), so its running best and the
    best's neighbours (for sub-sample timing) are carried along.
    """
    n0, m = state.n, d.size
    above = d > thr
    prev = np.concatenate(([state.above_prev], above[:-1])) if m else above
    rises = np.flatnonzero(above & ~prev).tolist()
    falls = np.flatnonzero(~above & prev).tolist()
    left_of = np.concatenate(([state.d_prev], d[:-1])) if m else d  # d[j - 1]
    right_of = np.concatenate((d[1:], [np.nan])) if m else d  # d[j + 1], unknown at the end
    times: list[float] = []
    emitted: list[tuple[int, float, float]] = []

    def bump(start_n: int, lo: int, hi: int) -> _Segment:
        j = lo + int(np.argmax(d[lo:hi]))
        return _Segment(
            start_n, n0 + j, float(d[j]), float(left_of[j]), float(right_of[j]), bool(ok[j])
        )

    seg = state.seg
    fi = 0
    if seg is not None:
        # Continue the bump left open by the previous chunk.
        if np.isnan(seg.right) and m:
            seg.right = float(d[0])
        end = falls[0] if falls else m
        fi = 1 if falls else 0
        if end > 0:
            new = bump(seg.start, 0, end)
            seg = new if new.best > seg.best else seg
        if falls:
            _close(state, seg, n0 + end, bool(ok[end]), times, emitted)
            seg = None
    for r in rises:
        while fi < len(falls) and falls[fi] <= r:
            fi += 1
        end = falls[fi] if fi < len(falls) else m
        seg = bump(n0 + r, r, end)
        if end < m:
            _close(state, seg, n0 + end, bool(ok[end]), times, emitted)
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
    ok_end: bool,
    times: list[float],
    emitted: list[tuple[int, float, float]],
) -> None:
    """Decide whether a finished slope bump was a heartbeat."""
    fs = state.fs
    t = (
        state.start
        + (seg.best_n + parabolic_offset(seg.left, seg.best, seg.right)) / fs
        - state.delay
    )
    if not (seg.ok and ok_end) or (end_n - seg.start) > _MAX_SEGMENT * fs:
        return
    if t - state.last_beat_t > _STALE:
        state.peaks.clear()  # after a gap, relearn how tall beats are
    if state.peaks:
        ref = median_small(list(state.peaks))
        if seg.best < _PEAK_FRACTION * ref or seg.best > _ARTIFACT_FACTOR * ref:
            return
    recent = list(state.ibis)[-5:]
    # Until the rhythm is known, the longest refractory period: a strong diastolic
    # wave ~0.35 s after the systolic one must not lock us at double rate.
    refractory = _REFRACTORY_MAX
    if len(recent) >= _KNOWN_RHYTHM:
        refractory = min(max(_REFRACTORY, _REFRACTORY_IBI * median_small(recent)), _REFRACTORY_MAX)
    if t - state.last_beat_t < refractory:
        return
    state.peaks.append(seg.best)
    _accept_interval(state, t - state.last_beat_t)
    state.last_beat_t = t
    times.append(t)
    emitted.append((end_n, state.hr, state.rmssd))


def _accept_interval(state: HeartState, ibi: float) -> None:
    """Keep plausible inter-beat intervals; reset after repeated surprises.

    RMSSD is taken over successive *accepted* intervals: an ectopic or missed
    beat would otherwise dominate it.
    """
    if not (_MIN_IBI <= ibi <= _MAX_IBI):
        state.ibis.clear()
        state.hr = np.nan
        return
    recent = list(state.ibis)[-5:]
    if len(recent) >= 3:
        med = median_small(recent)
        if abs(ibi - med) > _IBI_JUMP * med:
            state.rejects += 1
            if state.rejects >= 4:
                state.ibis.clear()
                state.rejects = 0
            return
    state.rejects = 0
    state.ibis.append(ibi)
    state.hr = 60.0 / ibi
    if len(state.ibis) >= 5:
        ibis = list(state.ibis)
        sq = [(b - a) ** 2 for a, b in itertools.pairwise(ibis)]
        state.rmssd = 1000.0 * (sum(sq) / len(sq)) ** 0.5


def _step_values(at: Array, values: Array, before: float, n0: int, m: int) -> Array:
    """Per-sample value that changes to values[i] at global sample at[i] and holds."""
    pos = np.searchsorted(at, np.arange(n0, n0 + m), side="right") - 1
    out: Array = np.where(pos >= 0, values[np.maximum(pos, 0)] if values.size else before, before)
    return out
