"""Heartbeats, heart rate and HRV from PPG or ECG streams, causally and chunk by chunk.

PPG: the fiducial point is the steepest point of the systolic upstroke (the
peak of the band-passed PPG's slope): it is sharper than the rounded systolic
peak and unaffected by the dicrotic wave, and it is confirmed about 0.15 s
after it happens (when the slope has fallen back), which keeps the heartbeat
layer of the soundscape tight. ECG: the fiducial point is the top of the
QRS energy envelope (the band-passed ECG, 5-25 Hz, which keeps the QRS and
drops P and T waves and baseline wander, rectified and low-passed at 10 Hz):
one bump per complex whatever the lead's polarity or an ectopic beat's
shape, measured 8 ms after the R peak on a synthetic ECG. A P or T wave that
passes the floor is rejected for being far smaller than the tallest recent
bump. Either event is reported at the (sub-sample) time
of that point corrected for the filters' group delay, so event times lie
slightly in the past of the moment they are emitted.

Candidates are bumps of the detection signal above a floor that follows its
typical size (see `LevelTracker`); a candidate is a beat when it is tall
compared with recent beats, outside the refractory period, and the signal is
good around it. Heart rate is beat-to-beat (60 / the last inter-beat interval,
which is what RSA-driven music wants); intervals that jump more than 30 %
from the recent median (missed or extra beats) are not used.

`HeartBank` runs every participant's stream of one kind and rate at once: the
filters and screening are one vectorised pass over rows (one row per stream),
and only the sparse beat decisions run per row in Python.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from symphony.features.stream import (
    ABSURD,
    Array,
    BoolArray,
    IntArray,
    LevelRows,
    RowBank,
    ema,
    ema_alpha,
    ema_debias_rows,
    last_index,
    median_small,
    parabolic_offset,
    screen_rows,
    sos_rows,
)


@dataclass(frozen=True)
class HeartParams:
    """What differs between pulse (PPG) and electrocardiogram (ECG) beat detection."""

    band: tuple[float, float]
    order: int
    slope: bool  # detect on the slope (PPG upstroke) or on |filtered signal| (ECG R peak)
    delay_freq: float  # Hz: where the filter's group delay is read for event timing
    cand_factor: float  # candidate floor, in geometric-RMS units of the detection signal
    max_segment: float  # s: a bump longer than this is motion, not a beat
    artifact_factor: float  # a beat's peak must stay below this multiple of recent beats
    tallest_fraction: float  # ... and reach this part of the tallest recent bump (0: off)


PPG = HeartParams(
    band=(0.5, 6.0),
    order=1,
    slope=True,
    delay_freq=3.0,
    cand_factor=2.0,
    max_segment=0.35,
    artifact_factor=3.5,
    tallest_fraction=0.0,
)
ECG = HeartParams(
    band=(5.0, 25.0),
    order=2,
    slope=False,
    delay_freq=12.0,
    cand_factor=2.5,
    max_segment=0.3,
    # R peaks tower over P and T waves: a detector that first locked on to a T wave
    # must still take the R peaks, which then become the reference.
    artifact_factor=50.0,
    # ... and P and T waves, which can pass the floor, are far below the tallest bumps.
    tallest_fraction=0.4,
)

_REFRACTORY = 0.3  # s: no two beats closer than this (200 bpm) ...
_REFRACTORY_IBI = 0.6  # ... nor closer than this part of the recent interval (dicrotic wave),
_REFRACTORY_MAX = 0.45  # ... capped, so a run of missed beats cannot lock us at half rate
_KNOWN_RHYTHM = 3  # accepted intervals before the refractory period follows the rhythm
_MIN_IBI, _MAX_IBI = 0.3, 2.0
_IBI_JUMP = 0.3  # relative change to the recent median that marks a missed/extra beat
_STALE = 3.0  # s without a good beat before heart rate is no longer trusted
_FLAT_RUN = 0.25  # s of identical samples = flat line
_SETTLE = 1.0  # s after bad samples before beats are believed again
_ENVELOPE = 10.0  # Hz: low-pass of the rectified QRS (ECG)
_TALLEST_TAU = 5.0  # s: how fast the memory of the tallest bump fades (ECG)
_PEAK_FRACTION = 0.5  # a beat's peak must reach this part of recent beats
_LOG_FLOOR = 1e-20  # added to power before log; far below any real sensor's noise
_LOG_RATIO_HIGH = np.log(10.0)  # recent vs reference power: above = motion artefact
_LOG_RATIO_LOW = np.log(1.0 / 100.0)  # ... below = signal vanished
_RELEARN = 10  # 1 s blocks of a new level before it is accepted as the norm
_SHORT_TAU, _Q_TAU = 1.0, 2.0  # s: recent power; quality smoothing


@dataclass
class _Segment:
    """A bump of the detection signal still open at the end of a chunk."""

    start: int
    best_n: int
    best: float
    left: float
    right: float  # NaN while the sample after the best has not arrived
    ok: bool


@dataclass
class HeartRow:
    """The sequential (per-beat) memory of one stream; the rest lives in `HeartBank`."""

    fs: float
    start: float
    delay: float
    max_segment: float
    artifact_factor: float
    tallest_fraction: float
    tallest: float = 0.0  # the tallest recent bump, decaying (see `_close`)
    tallest_t: float = -np.inf
    seg: _Segment | None = None
    peaks: deque[float] = field(default_factory=lambda: deque(maxlen=8))
    last_beat_t: float = -np.inf
    ibis: deque[float] = field(default_factory=lambda: deque(maxlen=17))
    rejects: int = 0
    hr: float = np.nan
    rmssd: float = np.nan


class HeartBank:
    """Beat detection for many streams of one kind (PPG or ECG) and rate, as rows."""

    names: tuple[str, ...] = ("hr", "rmssd", "q_heart")

    def __init__(self, fs: float, params: HeartParams = PPG) -> None:
        from scipy.signal import butter, group_delay, sosfilt_zi

        self.fs, self.params = float(fs), params
        self.sos = np.ascontiguousarray(
            butter(params.order, params.band, btype="bandpass", fs=fs, output="sos"),
            dtype=np.float64,
        )
        sections = self.sos.shape[0]
        self.env_sos = np.ascontiguousarray(
            butter(2, _ENVELOPE, btype="lowpass", fs=fs, output="sos"), dtype=np.float64
        )
        b, a = butter(params.order, params.band, btype="bandpass", fs=fs)
        delay = float(group_delay((b, a), w=[params.delay_freq], fs=fs)[1][0])
        # The slope (y[n] - y[n-2]) / 2 belongs to sample n - 1: one more sample of delay.
        if not params.slope:  # the envelope's low-pass delays the QRS bump further
            b2, a2 = butter(2, _ENVELOPE, btype="lowpass", fs=fs)
            delay += float(group_delay((b2, a2), w=[_ENVELOPE / 4], fs=fs)[1][0])
        self.delay = (delay + (1.0 if params.slope else 0.0)) / fs
        self.zi0 = np.asarray(sosfilt_zi(self.sos))
        self.a_short, self.a_q = ema_alpha(_SHORT_TAU, fs), ema_alpha(_Q_TAU, fs)
        self.bank = RowBank(
            {
                "n": ((), 0, np.int64),
                "zi": ((sections, 2), 0.0, np.float64),
                "y_prev": ((2,), 0.0, np.float64),
                "last_raw": ((1,), 0.0, np.float64),
                "run_value": ((), np.nan, np.float64),
                "run": ((), 0, np.int64),
                "last_bad": ((), -(10**9), np.int64),
                "short": ((1,), 0.0, np.float64),
                "q": ((1,), 0.0, np.float64),
                "last_beat_n": ((), -(10**9), np.int64),
                "env_zi": ((self.env_sos.shape[0], 2), 0.0, np.float64),
                "above_prev": ((), False, np.bool_),
                "d_prev": ((), 0.0, np.float64),
            }
        )
        self.rows: list[HeartRow] = []
        self.levels = LevelRows(
            block=max(1, round(fs)),
            alpha=0.1,
            up=_LOG_RATIO_HIGH,
            down=_LOG_RATIO_LOW,
            relearn=_RELEARN,
        )

    def add_row(self) -> int:
        self.rows.append(self._fresh_row(0.0))
        self.levels.add_row()
        return self.bank.add_row()

    def _fresh_row(self, start: float) -> HeartRow:
        p = self.params
        return HeartRow(
            self.fs, start, self.delay, p.max_segment, p.artifact_factor, p.tallest_fraction
        )

    def start_row(self, row: int, start: float, first: Array) -> None:
        """(Re)start `row` at time `start` with its first valid sample `first`.

        The filter starts in steady state at that sample, so the large DC
        offset of raw PPG does not ring through the first seconds.
        """
        x0 = float(np.ravel(first)[0])
        self.bank.reset_row(row)
        self.bank.state["zi"][row] = self.zi0 * x0
        self.bank.state["last_raw"][row] = x0
        self.rows[row] = self._fresh_row(start)
        self.levels.reset_row(row)

    def process(self, rows: IntArray, x: Array) -> tuple[dict[str, Array], list[Array]]:
        """Consume chunks `x` (len(rows), m) of the streams `rows`.

        Returns per-sample hr, rmssd and q_heart (len(rows), m) and each row's
        confirmed beat times.
        """
        fs, p, m = self.fs, self.params, x.shape[-1]
        st = self.bank.gather(rows)
        n0 = st["n"]
        valid: BoolArray = np.isfinite(x) & (np.abs(x) < ABSURD)
        filled, signal_ok, last_bad = screen_rows(n0, x, valid, _FLAT_RUN * fs, st)
        y, st["zi"] = sos_rows(self.sos, filled, st["zi"])
        if p.slope:
            yy = np.concatenate((st["y_prev"], y), axis=1)
            d = 0.5 * (yy[:, 2:] - yy[:, :-2])
            st["y_prev"] = yy[:, -2:]
        else:
            # The QRS energy envelope: one smooth bump per complex whatever its
            # polarity (ectopic beats, inverted leads) and however its lobes are split.
            d, st["env_zi"] = sos_rows(self.env_sos, np.abs(y), st["env_zi"])
        lp = np.log(d * d + _LOG_FLOOR)
        short, st["short"] = ema(lp, self.a_short, st["short"])
        short = short / ema_debias_rows(n0, m, self.a_short)
        ref = self.levels.update(rows, lp, signal_ok)
        with np.errstate(invalid="ignore"):
            dev = short - ref
        amp_ok = (dev < _LOG_RATIO_HIGH) & (dev > _LOG_RATIO_LOW)
        idx = n0[:, None] + np.arange(m)
        settled = (idx - last_bad) >= _SETTLE * fs
        ok = signal_ok & settled & amp_ok
        # The candidate floor follows the detection signal's typical size.
        thr = np.where(np.isfinite(ref), p.cand_factor * np.exp(0.5 * ref), np.inf)
        above = d > thr
        prev = np.concatenate((st["above_prev"][:, None], above[:, :-1]), axis=1)
        rise, fall = above & ~prev, ~above & prev
        seqs = [self.rows[r] for r in rows.tolist()]
        open_seg = np.array([row.seg is not None for row in seqs])
        hr = np.repeat(np.array([row.hr for row in seqs])[:, None], m, axis=1)
        rmssd = np.repeat(np.array([row.rmssd for row in seqs])[:, None], m, axis=1)
        last_emit = np.repeat(st["last_beat_n"][:, None], m, axis=1)
        beats: list[Array] = [_NONE] * len(seqs)
        # Only rows where a bump starts, ends or is open need the per-beat logic.
        active = np.flatnonzero(rise.any(axis=1) | fall.any(axis=1) | open_seg).tolist()
        if active:
            left_of = np.concatenate((st["d_prev"][:, None], d[:, :-1]), axis=1)
            right_of = np.concatenate((d[:, 1:], np.full((len(seqs), 1), np.nan)), axis=1)
        for i in active:
            row, start = seqs[i], int(n0[i])
            hr0, rmssd0 = row.hr, row.rmssd
            times, emit_at, snaps = _find_beats(
                row, start, d[i], ok[i], rise[i], fall[i], left_of[i], right_of[i]
            )
            beats[i] = times
            if emit_at.size:
                hr[i] = _step_values(emit_at, snaps[:, 0], hr0, start, m)
                rmssd[i] = _step_values(emit_at, snaps[:, 1], rmssd0, start, m)
                mark = np.zeros(m, dtype=bool)
                mark[(emit_at - start).astype(np.int64)] = True
                last_emit[i] = last_index(mark, start, int(st["last_beat_n"][i]))
                st["last_beat_n"][i] = int(emit_at[-1])
        if m:
            st["above_prev"], st["d_prev"] = above[:, -1].copy(), d[:, -1].copy()
        q, st["q"] = ema(ok.astype(np.float64), self.a_q, st["q"])
        q = q / ema_debias_rows(n0, m, self.a_q)
        age = (idx - last_emit) / fs
        # Fast attack, slow release: 0 at once on bad signal, then back up at the EMA's pace.
        quality = np.where((age < _STALE) & ok, q, 0.0)
        st["n"] = n0 + m
        self.bank.scatter(rows, st)
        return {"hr": hr, "rmssd": rmssd, "q_heart": quality}, beats


def _find_beats(
    state: HeartRow,
    n0: int,
    d: Array,
    ok: BoolArray,
    rise: BoolArray,
    fall: BoolArray,
    left_of: Array,
    right_of: Array,
) -> tuple[Array, Array, Array]:
    """Beat times (s), the global sample index confirming each, and (hr, rmssd) after each.

    Bumps are the runs of samples above the candidate floor (`rise`/`fall`
    mark where they start and end); a bump may start in an earlier chunk
    (`state.seg`), so its running best and the best's neighbours (`left_of`,
    `right_of`: d[j - 1] and d[j + 1], NaN where not yet known) for
    sub-sample timing are carried along.
    """
    m = d.size
    rises = np.flatnonzero(rise).tolist()
    falls = np.flatnonzero(fall).tolist()
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
    if not times:
        return _NONE, _NONE, _NO_SNAPS
    snaps = np.asarray(emitted, dtype=np.float64).reshape(-1, 3)
    return np.asarray(times), snaps[:, 0], snaps[:, 1:]


_NONE = np.zeros(0)
_NO_SNAPS = np.zeros((0, 2))


def _close(
    state: HeartRow,
    seg: _Segment,
    end_n: int,
    ok_end: bool,
    times: list[float],
    emitted: list[tuple[int, float, float]],
) -> None:
    """Decide whether a finished bump was a heartbeat."""
    fs = state.fs
    t = (
        state.start
        + (seg.best_n + parabolic_offset(seg.left, seg.best, seg.right)) / fs
        - state.delay
    )
    if not (seg.ok and ok_end) or (end_n - seg.start) > state.max_segment * fs:
        return
    if state.tallest_fraction:
        decayed = state.tallest * np.exp(-(t - state.tallest_t) / _TALLEST_TAU)
        if seg.best >= decayed:
            state.tallest, state.tallest_t = seg.best, t
        elif seg.best < state.tallest_fraction * decayed:
            return
    if t - state.last_beat_t > _STALE:
        state.peaks.clear()  # after a gap, relearn how tall beats are
    if state.peaks:
        ref = median_small(list(state.peaks))
        if seg.best < _PEAK_FRACTION * ref or seg.best > state.artifact_factor * ref:
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


def _accept_interval(state: HeartRow, ibi: float) -> None:
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
