"""Building blocks for causal, chunk-invariant streaming feature extraction.

Every helper here takes the state it needs to continue a previous chunk and
returns the state to continue the next one, and computes each output sample
from that state and the samples so far *in the same order of operations*
whatever the chunking. That is what lets a live show, fed in ragged network
packets, produce exactly the frames of an offline render fed the whole file.
(Linear recursions go through ``lfilter``/``sosfilt`` with carried
conditions; anything indexed by time uses the global sample counter, never a
running float sum.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

_KERNELS: list[Any] = []


def load_filters() -> None:
    """Import scipy's filters now: the control process does, before it yields the CPU
    to the audio (live.priority), so that no feature pays for the import mid-show."""
    import scipy.signal  # noqa: F401

    _kernels()


def _kernels() -> tuple[Any, Any]:
    """scipy's own kernels, without the per-call checks (see `sos_filter`, `ema`).

    Imported at first use, not with this module: loading a performance imports
    the feature registry, and the engine process, which never filters, must
    boot without scipy (the player's first sound within 2 s).
    """
    if not _KERNELS:
        try:
            from scipy.signal._sigtools import _linear_filter
            from scipy.signal._sosfilt import _sosfilt
        except ImportError:  # pragma: no cover - a scipy that moved them: the public paths
            _KERNELS.extend([None, None])
        else:
            _KERNELS.extend([_linear_filter, _sosfilt])
    return _KERNELS[0], _KERNELS[1]


Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Raw samples beyond this magnitude are not measurements but broken data.
ABSURD = 1e9


def ema_alpha(tau: float, fs: float) -> float:
    """Smoothing factor of a one-pole low-pass with time constant `tau` seconds."""
    return float(1.0 - np.exp(-1.0 / (tau * fs)))


def ema(x: Array, alpha: float, zi: Array) -> tuple[Array, Array]:
    """One-pole low-pass along the last axis, continuing from `zi` (shape (..., 1)).

    An empty chunk returns `zi` untouched: scipy's lfilter returns garbage
    final conditions for empty input.
    """
    if x.shape[-1] == 0:
        return x.copy(), zi
    _lfilter_kernel = _KERNELS[0] if _KERNELS else _kernels()[0]
    b, a = np.array([alpha]), np.array([1.0, alpha - 1.0])
    if _lfilter_kernel is not None and x.dtype == np.float64 and zi.dtype == np.float64:
        y, zf = _lfilter_kernel(b, a, x, -1, zi)  # what lfilter calls: same numbers
    else:
        from scipy.signal import lfilter

        y, zf = lfilter(b, a, x, axis=-1, zi=zi)
    return np.asarray(y), np.asarray(zf)


def ema_debias(n_end: int, count: int, alpha: float) -> Array:
    """Divide an EMA started at zero by this to get an unbiased average.

    Element i belongs to global sample ``n_end - count + i``. Computed per
    element from the integer index, so it is identical however we chunk.
    """
    n = np.arange(n_end - count, n_end, dtype=np.float64) + 1.0
    w: Array = -np.expm1(n * np.log1p(-alpha))
    return w


def last_index(mask: BoolArray, n0: int, previous: int) -> IntArray:
    """Global index of the latest True at or before each sample (or `previous`)."""
    if not mask.any():
        return np.full(mask.size, previous, dtype=np.int64)
    idx = np.where(mask, np.arange(n0, n0 + mask.size), previous)
    out: IntArray = np.maximum.accumulate(idx)
    return out


def hold_invalid(x: Array, valid: BoolArray, last: Array) -> tuple[Array, Array]:
    """Replace invalid samples with the last valid one (per channel, last axis).

    Feeding filters a held value instead of NaN or a spike keeps their state
    finite, so the features recover as soon as the signal does.
    `last` has shape (..., 1).
    """
    n = x.shape[-1]
    if n == 0:
        return x.copy(), last
    if valid.all():
        return x, x[..., -1:].copy()
    pos = np.where(valid, np.arange(n), -1)
    pos = np.maximum.accumulate(pos, axis=-1)
    taken = np.take_along_axis(x, np.maximum(pos, 0), axis=-1)
    filled = np.where(pos >= 0, taken, last)
    return filled, filled[..., -1:].copy()


def repeat_runs(
    x: Array, prev_value: Array, prev_run: IntArray
) -> tuple[IntArray, Array, IntArray]:
    """How many samples in a row each sample has equalled its predecessor (last axis).

    Real sensors always carry some noise, so a run of identical values means
    a flat line (unplugged, railed, or a source repeating its last packet).
    `prev_value` and `prev_run` have the shape of one sample (x.shape[:-1]).
    """
    n = x.shape[-1]
    if n == 0:
        return np.zeros(x.shape, dtype=np.int64), prev_value, prev_run
    before = np.concatenate((prev_value[..., None], x[..., :-1]), axis=-1)
    same = x == before
    i = np.arange(n)
    reset = np.maximum.accumulate(np.where(same, -1, i), axis=-1)
    runs = np.where(reset >= 0, i - reset, prev_run[..., None] + i + 1).astype(np.int64)
    return runs, x[..., -1].copy(), runs[..., -1].copy()


class ScreenState(Protocol):
    """The per-signal memory `screen` needs (held value, flat run, last bad sample)."""

    n: int
    last_raw: Array
    run_value: Array
    run: IntArray
    last_bad: int


def screen(
    state: ScreenState, x: Array, valid: BoolArray, flat_samples: float
) -> tuple[Array, BoolArray, IntArray]:
    """The common first step of every single-channel extractor.

    Holds invalid samples at the last good one (so filters stay finite), marks
    flat lines (a run of identical samples longer than `flat_samples`), and
    returns, for each sample, the global index of the latest bad sample, so
    the caller can let its features settle after a fault. `state` is updated.
    """
    filled, state.last_raw = hold_invalid(x, valid, state.last_raw)
    runs, state.run_value, state.run = repeat_runs(filled, state.run_value, state.run)
    signal_ok: BoolArray = valid & (runs < flat_samples)
    last_bad = last_index(~signal_ok, state.n, state.last_bad)
    if x.size:
        state.last_bad = int(last_bad[-1])
    return filled, signal_ok, last_bad


def frame_positions(k_next: int, start: float, fs: float, n_end: int, rate: float) -> IntArray:
    """Frames k >= `k_next` whose every sample (t <= k/rate) is among the first `n_end`.

    Returns the global index of the last sample at or before each such frame,
    one entry per frame from `k_next` on. Frame times and sample times are
    compared with a tiny tolerance so that a frame landing exactly on a
    sample includes it.
    """
    k_hi = int(np.floor((start + n_end / fs) * rate)) + 2
    if k_hi <= k_next:
        return np.zeros(0, dtype=np.int64)
    k = np.arange(k_next, k_hi, dtype=np.float64)
    last = np.floor((k / rate - start) * fs + 1e-6).astype(np.int64)
    count = int(np.searchsorted(last, n_end - 1, side="right"))
    out: IntArray = last[:count]
    return out


def sos_filter(sos: Array, x: Array, zi: Array) -> tuple[Array, Array]:
    """`scipy.signal.sosfilt` along the last axis, continuing from `zi`; same numbers.

    Live chunks are small, and sosfilt's argument checks and axis juggling
    cost several times the filtering itself; this calls the very kernel
    sosfilt calls, on the same contiguous float64 layout, so results are
    bit-identical (tested) and chunk invariance is untouched. `zi` has
    sosfilt's layout: (sections, *x.shape[:-1], 2).
    """
    if x.shape[-1] == 0:
        return x.copy(), zi
    _sos_kernel = _KERNELS[1] if _KERNELS else _kernels()[1]
    if _sos_kernel is None:
        from scipy.signal import sosfilt

        y, z_end = sosfilt(sos, x, axis=-1, zi=zi)
        return np.asarray(y), np.asarray(z_end)
    sections = sos.shape[0]
    out = np.array(x.reshape(-1, x.shape[-1]), dtype=np.float64, order="C")  # filtered in place
    if x.ndim == 1:
        z = np.array(zi.reshape(1, sections, 2), dtype=np.float64, order="C")
        _sos_kernel(np.ascontiguousarray(sos, dtype=np.float64), out, z)
        return out.reshape(x.shape), z.reshape(zi.shape)
    z = np.ascontiguousarray(np.moveaxis(zi, 0, -2).reshape(-1, sections, 2), dtype=np.float64)
    _sos_kernel(np.ascontiguousarray(sos, dtype=np.float64), out, z)
    zf: Array = np.moveaxis(z.reshape(*x.shape[:-1], sections, 2), -2, 0)
    return out.reshape(x.shape), zf


@dataclass
class EmaBank:
    """Named one-pole smoothers sharing a sample rate; state carried between chunks."""

    fs: float
    taus: dict[str, float]
    zi: dict[str, Array] = field(default_factory=dict)

    def run(self, name: str, x: Array) -> Array:
        """Smooth `x` (shape (rows, n) or (n,)) with the smoother `name`."""
        alpha = ema_alpha(self.taus[name], self.fs)
        x2 = np.atleast_2d(x)
        zi = self.zi.get(name)
        if zi is None:
            zi = np.zeros((x2.shape[0], 1))
        y, self.zi[name] = ema(x2, alpha, zi)
        out: Array = y if x.ndim == 2 else y[0]
        return out

    def alpha(self, name: str) -> float:
        return ema_alpha(self.taus[name], self.fs)


def parabolic_offset(left: float, mid: float, right: float) -> float:
    """Sub-sample position of a peak from its two neighbours (in samples, -0.5..0.5).

    Plain floats: this runs once per heartbeat, where numpy scalars are slow.
    """
    den = left - 2.0 * mid + right
    if not den < 0.0:  # also catches NaN
        return 0.0
    return min(0.5, max(-0.5, 0.5 * (left - right) / den))


def median_small(values: list[float]) -> float:
    """Median of a short list; plain Python is many times faster than numpy here."""
    v = sorted(values)
    h = len(v) // 2
    return v[h] if len(v) % 2 else 0.5 * (v[h - 1] + v[h])


def logistic(z: Array) -> Array:
    """Map a deviation (in 'typical spreads') to 0..1; 0 deviation gives 0.5."""
    out: Array = 0.5 * (1.0 + np.tanh(0.5 * z))
    return out


@dataclass
class LevelTracker:
    """A robust running reference of a signal's log power, updated block by block.

    Thresholds that scale with the signal (beat candidates, breath
    hysteresis) need a reference level that a burst of motion or a railed
    stretch cannot inflate for minutes, yet one that does accept a lasting
    change (a re-seated sensor). So: each block of `block` samples yields the
    median log power of its good samples; blocks within (`down`, `up`) of
    the reference pull it with weight `alpha`; deviating blocks are ignored,
    unless they outnumber ordinary blocks by `relearn`, in which case the new level is
    taken as the reference. Blocks are aligned to the global sample index and
    summarised only once complete (the partial block is kept), so the result
    does not depend on chunking.
    """

    block: int
    alpha: float
    up: float
    down: float
    relearn: int
    warmup: int = 3  # first blocks are always learnt: nothing to compare them with yet
    ref: float = np.nan
    run: int = 0
    learnt: int = 0
    partial: Array = field(default_factory=lambda: np.zeros(0))
    partial_ok: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def update(self, lp: Array, ok: BoolArray) -> Array:
        """Reference in force at each sample: as of the last block completed before it."""
        values = np.concatenate((self.partial, lp))
        oks = np.concatenate((self.partial_ok, ok))
        done = values.size // self.block
        keep = done * self.block
        refs = [self.ref]
        if done:
            for level in _block_medians(values[:keep], oks[:keep], self.block).tolist():
                if level == level:  # NaN marks a block with too few good samples
                    self._learn(level)
                refs.append(self.ref)
        self.partial, self.partial_ok = values[keep:], oks[keep:]
        # Sample i of the chunk sits in block (i + len(old partial)) // block of `values`.
        which = (np.arange(lp.size) + (values.size - lp.size)) // self.block
        out: Array = np.asarray(refs)[which]
        return out

    def _learn(self, level: float) -> None:
        if not np.isfinite(self.ref):
            self.ref, self.learnt = level, 1
            return
        dev = level - self.ref
        if self.learnt < self.warmup or self.down < dev < self.up:
            # A plain average of the first blocks, then exponential forgetting.
            self.learnt += 1
            self.ref += max(self.alpha, 1.0 / self.learnt) * dev
            # Leaky, not reset: a new level interrupted by the odd ordinary block
            # (a pulse that was learnt from noise at the start) is still accepted.
            self.run = max(self.run - 1, 0)
            return
        self.run += 1
        if self.run >= self.relearn:
            self.ref, self.run, self.learnt = level, 0, 1


def _block_medians(values: Array, ok: BoolArray, block: int) -> Array:
    """Median of the good samples of each block; NaN when fewer than half are good."""
    rows = np.where(ok, values, np.inf).reshape(-1, block)
    rows.sort(axis=1)
    count = ok.reshape(-1, block).sum(axis=1)
    lo = np.maximum((count - 1) // 2, 0)
    hi = np.minimum(count // 2, block - 1)
    r = np.arange(rows.shape[0])
    med: Array = 0.5 * (rows[r, lo] + rows[r, hi])
    return np.where(2 * count >= block, med, np.nan)


# --- row-stacked helpers: the same steps for many streams at once ----------------------
#
# A group extractor keeps the state of every participant's stream of one kind and
# rate in arrays with one row per stream, and runs each step once for all rows
# (per-call overhead, not arithmetic, is what small live chunks cost). Each row
# still computes exactly what it would alone: every helper here works row by row
# with the row's own global sample counter `n0`.


def last_index_rows(mask: BoolArray, n0: IntArray, previous: IntArray) -> IntArray:
    """`last_index` for each row of `mask` (rows, m), row r starting at sample n0[r]."""
    if not mask.any():
        return np.repeat(previous[:, None], mask.shape[-1], axis=-1)
    idx = np.where(mask, n0[:, None] + np.arange(mask.shape[-1]), previous[:, None])
    out: IntArray = np.maximum.accumulate(idx, axis=-1)
    return out


def ema_debias_rows(n0: IntArray, m: int, alpha: float) -> Array:
    """`ema_debias` for rows whose chunks start at global samples n0 (rows,)."""
    n = (n0[:, None] + np.arange(m) + 1).astype(np.float64)
    w: Array = -np.expm1(n * np.log1p(-alpha))
    return w


def sos_rows(sos: Array, x: Array, zi: Array) -> tuple[Array, Array]:
    """sosfilt of each row of `x` (rows, m) from its own state `zi` (rows, sections, 2).

    The state layout is the kernel's own, so no axis juggling per call; same
    numbers as `sos_filter` row by row.
    """
    if x.shape[-1] == 0:
        return x.copy(), zi
    _sos_kernel = _KERNELS[1] if _KERNELS else _kernels()[1]
    if _sos_kernel is None:
        from scipy.signal import sosfilt

        y, z = sosfilt(sos, x, axis=-1, zi=np.moveaxis(zi, 1, 0))
        return np.asarray(y), np.ascontiguousarray(np.moveaxis(np.asarray(z), 0, 1))
    out = np.array(x, dtype=np.float64, order="C")
    z = np.array(zi, dtype=np.float64, order="C")
    _sos_kernel(sos, out, z)
    return out, z


def screen_rows(
    n0: IntArray,
    x: Array,
    valid: BoolArray,
    flat_samples: float,
    st: dict[str, np.ndarray],
) -> tuple[Array, BoolArray, IntArray]:
    """`screen` for rows: `st` holds last_raw (rows, 1), run_value, run and last_bad (rows,)."""
    filled, st["last_raw"] = hold_invalid(x, valid, st["last_raw"])
    runs, st["run_value"], st["run"] = repeat_runs(filled, st["run_value"], st["run"])
    signal_ok: BoolArray = valid & (runs < flat_samples)
    last_bad = last_index_rows(~signal_ok, n0, st["last_bad"])
    if x.shape[-1]:
        st["last_bad"] = last_bad[:, -1].copy()
    return filled, signal_ok, last_bad


class RowBank:
    """Per-row state arrays of one group stage; rows are added as streams appear.

    `fields` maps a name to (shape of one row, fill value, dtype). `gather`
    copies the state of some rows out for a step, `scatter` writes it back.
    """

    def __init__(self, fields: dict[str, tuple[tuple[int, ...], float, type]]) -> None:
        self.fields = fields
        self.state: dict[str, np.ndarray] = {
            name: np.full((0, *shape), fill, dtype=dtype)
            for name, (shape, fill, dtype) in fields.items()
        }
        self.size = 0

    def add_row(self) -> int:
        for name, (shape, fill, dtype) in self.fields.items():
            row: np.ndarray = np.full((1, *shape), fill, dtype=dtype)
            self.state[name] = np.concatenate((self.state[name], row))
        self.size += 1
        return self.size - 1

    def reset_row(self, row: int) -> None:
        """Back to the initial values (a stream that starts again)."""
        for name, (_, fill, _) in self.fields.items():
            self.state[name][row] = fill

    def gather(self, rows: IntArray) -> dict[str, np.ndarray]:
        """The state of `rows` (all rows in order: the arrays themselves, no copy)."""
        if self._all(rows):
            return dict(self.state)
        return {name: v[rows] for name, v in self.state.items()}

    def scatter(self, rows: IntArray, st: dict[str, np.ndarray]) -> None:
        if self._all(rows):
            for name, v in self.state.items():
                self.state[name] = np.asarray(st[name], dtype=v.dtype).reshape(v.shape)
            return
        for name, v in self.state.items():
            v[rows] = st[name]

    def _all(self, rows: IntArray) -> bool:
        return (
            rows.size == self.size
            and bool(rows[0] == 0)
            and bool(rows[-1] == self.size - 1)
            and (self.size < 3 or bool(np.all(np.diff(rows) == 1)))
        )


class LevelRows:
    """`LevelTracker` for many rows, buffering partial blocks in arrays.

    Most live chunks complete no block, and for those the reference is just
    the current one and the samples join the row's partial block: that is
    done for all such rows at once. Rows that complete a block go through
    their own `LevelTracker` (the same code, so the same numbers).
    """

    def __init__(self, block: int, alpha: float, up: float, down: float, relearn: int) -> None:
        self.block = block
        self._make = lambda: LevelTracker(block, alpha, up, down, relearn)
        self.trackers: list[LevelTracker] = []
        self.buf = np.zeros((0, block))
        self.buf_ok = np.zeros((0, block), dtype=bool)
        self.plen = np.zeros(0, dtype=np.int64)
        self.ref = np.zeros(0)

    def add_row(self) -> int:
        self.trackers.append(self._make())
        self.buf = np.concatenate((self.buf, np.zeros((1, self.block))))
        self.buf_ok = np.concatenate((self.buf_ok, np.zeros((1, self.block), dtype=bool)))
        self.plen = np.append(self.plen, 0)
        self.ref = np.append(self.ref, np.nan)
        return len(self.trackers) - 1

    def reset_row(self, row: int) -> None:
        self.trackers[row] = self._make()
        self.plen[row], self.ref[row] = 0, np.nan

    def update(self, rows: IntArray, lp: Array, ok: BoolArray) -> Array:
        """Reference in force at each sample of each row's chunk (rows, m)."""
        m = lp.shape[-1]
        plen = self.plen[rows]
        out = np.repeat(self.ref[rows][:, None], m, axis=1)
        fast = plen + m < self.block
        if fast.all():
            cols = plen[:, None] + np.arange(m)
            self.buf[rows[:, None], cols] = lp
            self.buf_ok[rows[:, None], cols] = ok
            self.plen[rows] = plen + m
            return out
        if fast.any():
            fr = rows[fast]
            cols = plen[fast][:, None] + np.arange(m)
            self.buf[fr[:, None], cols] = lp[fast]
            self.buf_ok[fr[:, None], cols] = ok[fast]
            self.plen[fr] = plen[fast] + m
        for i in np.flatnonzero(~fast).tolist():
            r, p = int(rows[i]), int(plen[i])
            t = self.trackers[r]
            t.partial, t.partial_ok = self.buf[r, :p].copy(), self.buf_ok[r, :p].copy()
            out[i] = t.update(lp[i], ok[i])
            p = t.partial.size
            self.buf[r, :p], self.buf_ok[r, :p] = t.partial, t.partial_ok
            self.plen[r], self.ref[r] = p, t.ref
        return out
