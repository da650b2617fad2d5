"""Breathing rate, depth and a continuous breath phase from a respiration belt.

The belt signal is band-passed (0.05-1 Hz) and its turning points are found
with a hysteresis that scales with the recent breathing amplitude: a trough
is the start of an inhale, a peak the start of the exhale. Each turning point
is only *known* a moment after it happened (the signal has to turn back by
the hysteresis first), so the phase is a model anchored on the last turning
point: it advances at the recent cycle rate, is held just short of the next
landmark when that is late, and jumps ahead when the landmark is confirmed.
Within a cycle it therefore only rises, and it wraps to near zero when an
inhale start is confirmed. Turning-point times are corrected for the
band-pass filter's phase delay at the current breathing rate.
"""

from __future__ import annotations

import bisect
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
    median_small,
    screen_rows,
    sos_rows,
)

_HIGHPASS, _LOWPASS = 0.05, 1.0  # Hz: 3 to 60 breaths per minute
_HYSTERESIS = 0.6  # of the typical |signal|: how far it must turn back to count
_BLOCK, _LEVEL_TAU = 2.0, 30.0  # s: robust amplitude reference, block and time constant
_SHORT = 4.0  # s: recent amplitude, compared with the reference
_LOG_RATIO_HIGH = np.log(100.0)  # recent vs reference power: above = artefact
_LOG_RATIO_LOW = np.log(1.0 / 1000.0)  # ... below = no breathing signal left
_RELEARN = 20.0  # s of a new amplitude before it is accepted as the norm
_LOG_FLOOR = 1e-20
_MIN_HALF = 0.5  # s: shorter half-cycles are wobbles, not breaths
_MAX_PERIOD = 20.0  # s: slower than 3/min is not breathing we can follow
_FLAT_RUN = 1.0  # s of identical samples = flat line
_SETTLE = 2.0  # s after bad samples before the breath is trusted again
_DEFAULT_INHALE = 0.4  # inhale share of a cycle until we have measured it
_HOLD = 1e-3  # how far short of a landmark a late phase is held
_DEPTH_SHARE = 0.3  # of the recent median breath depth: a smaller turn-back is a shoulder
_DEPTH_BREATHS = 5  # depths (half-cycles) in that median
_DEPTH_HOLD = 2.0  # cycles without a turn after which the depth criterion lapses
_PERIODS = 2  # cycle lengths averaged for the rate: the last trough-to-trough and peak-to-peak
_DERIVED_PERIODS = 4  # ... from the heart, noisier: the median of the last four
_STEADY_CYCLES = 4  # cycle lengths whose spread makes the steadiness ...
_SPREAD_GOOD, _SPREAD_BAD = 0.08, 0.35  # ... 1 below this relative spread, 0 above that
_DERIVED_STEADY = (0.5, 0.8)  # steadiness of derived breathing: 0 quality below, full above
_DEPTHS_NEEDED = 1  # breath depths measured before they judge the turns
_SETTLED_STEADY = 0.5  # steadiness needed (once) to count the start-up as over
_SETTLED_TURNS = 2  # turning points seen with the depth criterion before quality may rise


@dataclass
class _Model:
    """The phase model as of the last confirmed turning point."""

    kind: int  # 0: anchored on a trough (inhale start), 1: on a peak (exhale start)
    anchor: float  # time (s) of that turning point
    period: float  # expected cycle length (s)
    inhale: float  # expected inhale share of the cycle
    depth: float  # peak-to-trough amplitude of the last breaths
    settled: float = 0.0  # 1 once enough turns were judged against the breath depth
    steady: float = 0.0  # 0..1 from the spread of the recent cycle lengths


@dataclass
class BreathRow:
    """The sequential (turning point) memory of one stream; the rest lives in `BreathBank`."""

    fs: float
    start: float
    delay_f_list: list[float]
    delay_s_list: list[float]
    n: int = 0
    rising: bool = True
    ext_value: float = 0.0
    ext_n: int = 0
    turns: deque[tuple[int, float, float]] = field(default_factory=lambda: deque(maxlen=9))
    model: _Model | None = None
    last_turn_n: int = -(10**9)
    depth_h: float = 0.0  # the shoulder threshold from the recent breath depths ...
    depth_until: int = -(10**9)  # ... in force up to this sample
    depth_turns: int = 0  # turning points accepted while a depth criterion was in force
    rate_cycles: int = 2  # cycle lengths whose median is the rate (see `_PERIODS`)


class BreathBank:
    """Breath rate, phase and depth for many respiration streams of one rate, as rows."""

    names: tuple[str, ...] = ("breath_rate", "breath_phase", "breath_amp", "q_resp", "q_amp")

    def __init__(self, fs: float, derived: bool = False) -> None:
        """`derived`: breathing derived from the heart (derived.py), not a belt.

        Steadiness (`_steadiness`) weighs the quality differently: a belt's
        irregular breath is still breathing (believed, quality >= 0.5, but not
        >= 0.8); from the heart, scattered cycles mean that there may be no
        breathing in the signal at all, so quality needs steady cycles.
        """
        from scipy.signal import butter, freqz, sosfilt_zi

        self.fs = fs = float(fs)
        self.derived = derived
        hp = butter(1, _HIGHPASS, btype="highpass", fs=fs, output="sos")
        lp = butter(2, _LOWPASS, btype="lowpass", fs=fs, output="sos")
        self.sos = np.ascontiguousarray(np.vstack([hp, lp]), dtype=np.float64)
        self.zi0 = np.asarray(sosfilt_zi(self.sos))
        freqs = np.geomspace(0.03, 1.0, 64)
        _, h = freqz(*_ba(self.sos), worN=freqs, fs=fs)
        phase = np.unwrap(np.angle(h))
        # Phase delay: how late a sinusoid's extremum is.
        self.delay_f = freqs.tolist()
        self.delay_s = (-phase / (2.0 * np.pi * freqs)).tolist()
        self.a_short, self.a_q = ema_alpha(_SHORT, fs), ema_alpha(2.0, fs)
        self.bank = RowBank(
            {
                "n": ((), 0, np.int64),
                "zi": ((self.sos.shape[0], 2), 0.0, np.float64),
                "last_raw": ((1,), 0.0, np.float64),
                "run_value": ((), np.nan, np.float64),
                "run": ((), 0, np.int64),
                "last_bad": ((), -(10**9), np.int64),
                "short": ((1,), 0.0, np.float64),
                "q": ((1,), 0.0, np.float64),
            }
        )
        self.rows: list[BreathRow] = []
        self.levels = LevelRows(
            block=max(1, round(_BLOCK * self.fs)),
            alpha=_BLOCK / _LEVEL_TAU,
            up=_LOG_RATIO_HIGH,
            down=_LOG_RATIO_LOW,
            relearn=int(np.ceil(_RELEARN / _BLOCK)),
        )

    def _fresh_row(self, start: float) -> BreathRow:
        cycles = _DERIVED_PERIODS if self.derived else _PERIODS
        return BreathRow(self.fs, start, self.delay_f, self.delay_s, rate_cycles=cycles)

    def add_row(self) -> int:
        self.rows.append(self._fresh_row(0.0))
        self.levels.add_row()
        return self.bank.add_row()

    def start_row(self, row: int, start: float, first: Array) -> None:
        """(Re)start `row` at time `start`, its filter settled at the first valid sample."""
        x0 = float(np.ravel(first)[0])
        self.bank.reset_row(row)
        self.bank.state["zi"][row] = self.zi0 * x0
        self.bank.state["last_raw"][row] = x0
        self.rows[row] = self._fresh_row(start)
        self.levels.reset_row(row)

    def process(self, rows: IntArray, x: Array) -> tuple[dict[str, Array], list[Array]]:
        """Consume chunks `x` (len(rows), m); per-sample rate, phase, depth and quality."""
        fs, m = self.fs, x.shape[-1]
        st = self.bank.gather(rows)
        n0 = st["n"]
        valid: BoolArray = np.isfinite(x) & (np.abs(x) < ABSURD)
        filled, signal_ok, last_bad = screen_rows(n0, x, valid, _FLAT_RUN * fs, st)
        y, st["zi"] = sos_rows(self.sos, filled, st["zi"])
        lp = np.log(y * y + _LOG_FLOOR)
        ref = self.levels.update(rows, lp, signal_ok)
        short, st["short"] = ema(lp, self.a_short, st["short"])
        short = short / ema_debias_rows(n0, m, self.a_short)
        with np.errstate(invalid="ignore"):
            dev = short - ref
        amp_ok = (dev < _LOG_RATIO_HIGH) & (dev > _LOG_RATIO_LOW)
        hyst = np.where(np.isfinite(ref), _HYSTERESIS * np.exp(0.5 * ref), np.inf)
        idx = n0[:, None] + np.arange(m)
        seqs = [self.rows[r] for r in rows.tolist()]
        models = np.array([_row_of(row.model) for row in seqs])
        table = np.repeat(models[:, None, :], m, axis=1)
        turn_n = np.repeat(
            np.array([row.last_turn_n for row in seqs], dtype=np.float64)[:, None], m, axis=1
        )
        starts = np.array([row.start for row in seqs])
        good_turn = signal_ok & amp_ok
        quiet = _quiet_rows(seqs, y, hyst, n0)
        for i, row in enumerate(seqs):
            if quiet[i]:
                row.n += m  # no turning point in this chunk: extremes already updated
                continue
            model0, last_turn0 = row.model, row.last_turn_n
            snaps = _turning_points(row, y[i], hyst[i], good_turn[i])
            row.n += m
            if not snaps:
                continue
            at = np.array([s[0] for s in snaps], dtype=np.int64)
            pos = np.searchsorted(at, idx[i], side="right")
            table[i] = np.asarray([_row_of(model0)] + [_row_of(s[1]) for s in snaps])[pos]
            turn_n[i] = np.array([last_turn0, *at.tolist()], dtype=np.float64)[pos]
        rate, phase, depth = _evaluate(table, starts[:, None] + idx / fs)

        settled = (idx - last_bad) >= _SETTLE * fs
        ok = (signal_ok & settled & amp_ok).astype(np.float64)
        q, st["q"] = ema(ok, self.a_q, st["q"])
        q = q / ema_debias_rows(n0, m, self.a_q)
        since_turn = (idx - turn_n) / fs
        period = np.where(np.isfinite(table[..., 2]), table[..., 2], _MAX_PERIOD)
        fresh = since_turn < np.minimum(1.5 * period, _MAX_PERIOD)
        # Fast attack, slow release: 0 at once on bad signal, then back up at the EMA's pace.
        # The breath size is known: shoulders are no longer breaths. (Derived breathing
        # has no shoulders; its steadiness alone gates it.)
        known = (table[..., 5] > 0) | self.derived
        steady = _steady_weight(table[..., 6], self.derived)
        quality = np.where(fresh & (ok > 0) & known, np.minimum(q, steady), 0.0)
        st["n"] = n0 + m
        self.bank.scatter(rows, st)
        values = {"breath_rate": rate, "breath_phase": phase, "breath_amp": depth}
        # The breath size alone (for breath_depth and its baseline) needs no settled
        # turn rule nor steady cycles: only a clean signal and a measured breath.
        q_amp = np.where(fresh & (ok > 0) & np.isfinite(depth), q, 0.0)
        return {**values, "q_resp": quality, "q_amp": q_amp}, []


def _ba(sos: Array) -> tuple[Array, Array]:
    b, a = np.array([1.0]), np.array([1.0])
    for row in sos:
        b, a = np.convolve(b, row[:3]), np.convolve(a, row[3:])
    return b, a


_NO_MODEL = (0.0, np.nan, np.nan, np.nan, np.nan, 0.0, 0.0)


def _row_of(m: _Model | None) -> tuple[float, ...]:
    if m is None:
        return _NO_MODEL
    return (m.kind, m.anchor, m.period, m.inhale, m.depth, m.settled, m.steady)


def _quiet_rows(seqs: list[BreathRow], y: Array, hyst: Array, n0: IntArray) -> BoolArray:
    """Rows whose chunk holds no turning point; their running extremes are updated here.

    The same decision as `_turning_points`, for all rows at once: with the
    signal mirrored on falling rows, a turn is a sample below the running
    maximum by more than the hysteresis. Rows with a turn are left alone
    (the sequential loop handles them).
    """
    sign = np.array([1.0 if row.rising else -1.0 for row in seqs])
    ext = np.array([row.ext_value for row in seqs]) * sign
    z = y * sign[:, None]
    before = np.maximum.accumulate(np.concatenate((ext[:, None], z[:, :-1]), axis=1), axis=1)
    quiet: BoolArray = ~(z < before - hyst).any(axis=1)
    top = z.max(axis=1)
    where = z.argmax(axis=1)
    for i in np.flatnonzero(quiet & (top > ext)).tolist():
        row = seqs[i]
        row.ext_value, row.ext_n = float(y[i, where[i]]), int(n0[i] + where[i])
    return quiet


def _turning_points(
    state: BreathRow, y: Array, hyst: Array, ok: BoolArray
) -> list[tuple[int, _Model]]:
    """Run the hysteresis over the chunk; return (confirming sample, new model) per turn.

    A plain loop: it runs at the belt's low rate, and the hysteresis is an
    inherently sequential decision.
    """
    snaps: list[tuple[int, _Model]] = []
    n0 = state.n
    rising, ext_v, ext_n = state.rising, state.ext_value, state.ext_n
    for i, (v, h0, good) in enumerate(zip(y.tolist(), hyst.tolist(), ok.tolist(), strict=True)):
        h = max(h0, state.depth_h) if n0 + i <= state.depth_until else h0
        if rising:
            if v > ext_v:
                ext_v, ext_n = v, n0 + i
                continue
            if v >= ext_v - h:
                continue
        else:
            if v < ext_v:
                ext_v, ext_n = v, n0 + i
                continue
            if v <= ext_v + h:
                continue
        # The signal has turned back far enough: ext_n was a peak (rising) or a trough.
        judged = n0 + i <= state.depth_until
        if good and _accept_turn(state, 1 if rising else 0, ext_n, ext_v, judged):
            assert state.model is not None
            snaps.append((n0 + i, state.model))
            state.last_turn_n = n0 + i
            _update_depth_rule(state, n0 + i)
        rising = not rising
        ext_v, ext_n = v, n0 + i
    state.rising, state.ext_value, state.ext_n = rising, ext_v, ext_n
    return snaps


def _update_depth_rule(state: BreathRow, n: int) -> None:
    """The shoulder threshold after a turn: a share of the median of the recent depths.

    The amplitude reference (RMS of the band-passed belt) lets a shoulder of
    a fifth of a breath count as a turn, and while it is still being learnt
    even less; NeuroKit2 (after Khodadad et al. 2018) drops extrema whose
    swing is under 0.3 of the median swing. This is the causal form: it
    applies until `_DEPTH_HOLD` expected cycles pass without a turn (then
    breathing may have become shallow, and the RMS reference takes over).
    """
    turns = list(state.turns)
    depths = sorted(abs(b[2] - a[2]) for a, b in itertools.pairwise(turns[-_DEPTH_BREATHS - 1 :]))
    if len(depths) < _DEPTHS_NEEDED or state.model is None:
        return
    state.depth_h = _DEPTH_SHARE * median_small(depths)
    state.depth_until = n + round(_DEPTH_HOLD * state.model.period * state.fs)


def _accept_turn(state: BreathRow, kind: int, n: int, value: float, judged: bool) -> bool:
    """Record a turning point; update the model once a full cycle has been seen."""
    fs = state.fs
    prev = state.model
    period_guess = prev.period if prev is not None else 4.0
    delay = _phase_delay(state, 1.0 / period_guess)
    t = state.start + n / fs - delay
    if state.turns and t - state.turns[-1][1] < _MIN_HALF:
        return False
    if state.turns and state.turns[-1][0] == kind:
        state.turns.pop()  # two of a kind: a hidden half-cycle; keep the newer one
    state.turns.append((kind, t, value))
    turns = list(state.turns)
    periods = [b[1] - a[1] for a, b in zip(turns[:-2], turns[2:], strict=True)]
    recent = [p for p in periods if p < _MAX_PERIOD][-_STEADY_CYCLES:]
    periods = recent[-state.rate_cycles :]
    if not periods:
        return False
    shares = [
        (pk[1] - tr[1]) / (nx[1] - tr[1])
        for tr, pk, nx in zip(turns[:-2], turns[1:-1], turns[2:], strict=True)
        if tr[0] == 0 and nx[1] > tr[1]
    ][-4:]
    depths = [abs(b[2] - a[2]) for a, b in itertools.pairwise(turns)][-2:]
    state.depth_turns += judged
    steady = _steadiness(recent)
    # Latched once the breath size has judged enough turns and the cycles agree.
    settled = (prev is not None and prev.settled > 0) or (
        state.depth_turns >= _SETTLED_TURNS and steady >= _SETTLED_STEADY
    )
    state.model = _Model(
        kind=kind,
        anchor=t,
        period=median_small(periods),
        inhale=min(0.8, max(0.2, median_small(shares))) if shares else _DEFAULT_INHALE,
        depth=sum(depths) / len(depths),
        settled=float(settled),
        steady=steady,
    )
    return True


def _steadiness(periods: list[float]) -> float:
    """0..1: how alike the recent cycle lengths are (1: within ~8 %, 0: beyond ~35 %).

    The rate is right within a breath per minute only when the cycles it is
    made of agree: irregular breathing (talk, sighs) and the random turns of
    a signal with no breathing in it (a pulse without respiratory
    modulation) both give scattered cycle lengths.
    """
    if len(periods) < 2:
        return 0.0
    mean = sum(periods) / len(periods)
    spread = (sum((p - mean) ** 2 for p in periods) / (len(periods) - 1)) ** 0.5 / mean
    return min(1.0, max(0.0, (_SPREAD_BAD - spread) / (_SPREAD_BAD - _SPREAD_GOOD)))


def _steady_weight(steady: Array, derived: bool) -> Array:
    """The quality factor of a steadiness (see `BreathBank`): belt 0.5-1, derived 0-1.

    Derived: measured on simulated pulses and ECGs with breathing, the
    steadiness has its 10th percentile at 0.75-1.0; on a pulse with none,
    its 90th percentile at 0.2-0.5. Hence 0 below 0.5 and 1 from 0.8.
    """
    if derived:
        out: Array = np.clip((steady - _DERIVED_STEADY[0]) / np.ptp(_DERIVED_STEADY), 0.0, 1.0)
        return out
    return 0.5 + 0.5 * steady


def _phase_delay(state: BreathRow, freq: float) -> float:
    """The band-pass filter's phase delay (s) at `freq`, from the table (plain floats)."""
    f, d = state.delay_f_list, state.delay_s_list
    if freq <= f[0]:
        return d[0]
    if freq >= f[-1]:
        return d[-1]
    i = bisect.bisect_right(f, freq)
    u = (freq - f[i - 1]) / (f[i] - f[i - 1])
    return d[i - 1] + u * (d[i] - d[i - 1])


def _evaluate(table: Array, t: Array) -> tuple[Array, Array, Array]:
    """Rate, phase and depth at times `t` from each sample's model row (kind, anchor, ...)."""
    kind, anchor, period, inhale, depth = np.moveaxis(table[..., :5], -1, 0)
    elapsed = (t - anchor) / period
    on_inhale = np.minimum(elapsed, inhale - _HOLD)
    on_exhale = np.minimum(inhale + elapsed, 1.0 - _HOLD)
    phase = np.where(kind == 0, on_inhale, on_exhale)
    phase = np.clip(phase, 0.0, 1.0 - _HOLD)
    return 60.0 / period, phase, depth
