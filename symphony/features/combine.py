"""Frame-rate logic: robust personal baselines, hold-and-glide, source switching.

Everything here runs on blocks of frames for many participants at once
(arrays (participants, ...frames)), with carried state, chunk-invariant like
the per-signal stages:

- `RobustBaselines`: a participant's own normal for each feature, as the
  median of 2 s block medians over the last 5 minutes (or over a calibration
  window), and its spread from the median absolute deviations (MAD), so a
  burst of artefacts or a few minutes of excitement cannot drag the norm
  the way a mean would, and each person's natural variability sets how far
  a change counts.
- `glide_rows`: when a feature's signal goes bad, hold the last output and
  glide exponentially toward a neutral value (the baseline, or 0.5), so the
  sound drifts to a calm bed instead of jumping or freezing; when the signal
  returns, glide back from where the output is to the live value. With a
  cyclic `step` (breath phase) the held phase keeps turning instead.
- `switch_rows`: a weight that ramps linearly between two sources of one
  feature (a breathing belt and the breathing derived from the pulse).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from symphony.features.stream import Array, BoolArray, IntArray

_MAD_TO_SD = 1.4826  # MAD of a normal distribution -> its standard deviation


class RobustBaselines:
    """Median/MAD baselines of `features` inputs for up to `capacity` participants.

    Frames are grouped into blocks of `block` frames aligned on the global
    frame clock; each completed block contributes the median (and the MAD)
    of the frames it was allowed to learn from, if at least half of them; the
    last `blocks` such summaries make the baseline: the median of the block
    medians, and a spread combining the scatter between blocks (MAD of the
    block medians) and within them (median of the block MADs). A frame uses
    the baseline as of the last block completed before it; before
    `min_blocks` summaries, the baseline is unknown (NaN).
    """

    def __init__(self, features: int, block: int, blocks: int, min_blocks: int) -> None:
        self.f, self.block, self.blocks, self.min_blocks = features, block, blocks, min_blocks
        self.capacity = 0
        self.buf = np.zeros((0, features, block))
        self.medians = np.zeros((0, features, blocks))
        self.mads = np.zeros((0, features, blocks))
        self.count = np.zeros((0, features), dtype=np.int64)  # summaries stored (ring position)
        self.base = np.zeros((0, features))
        self.spread = np.zeros((0, features))

    def grow(self, capacity: int) -> None:
        def more(a: np.ndarray, fill: float) -> np.ndarray:
            out = np.full((capacity, *a.shape[1:]), fill, dtype=a.dtype)
            out[: a.shape[0]] = a
            return out

        self.buf = more(self.buf, np.nan)
        self.medians, self.mads = more(self.medians, np.nan), more(self.mads, np.nan)
        self.count = more(self.count, 0)
        self.base, self.spread = more(self.base, np.nan), more(self.spread, np.nan)
        self.capacity = capacity

    def settled(self, rows: IntArray) -> BoolArray:
        """Rows with a known baseline of at least one input (enough blocks learnt)."""
        out: BoolArray = np.asarray((self.count[rows] >= self.min_blocks).any(axis=1))
        return out

    def update(
        self, rows: IntArray, k0: IntArray, x: Array, learn: BoolArray
    ) -> tuple[Array, Array]:
        """Baseline and spread in force at frames k0.. of `x` (rows, features, n)."""
        _, f, n = x.shape
        k = k0[:, None] + np.arange(n)
        col = k % self.block
        vals = np.where(learn & np.isfinite(x), x, np.nan)
        base = np.repeat(self.base[rows][:, :, None], n, axis=2)
        spread = np.repeat(self.spread[rows][:, :, None], n, axis=2)
        ends = col == self.block - 1
        quiet = ~ends.any(axis=1)
        if quiet.any():  # no block completes: the frames just join their block
            q = np.flatnonzero(quiet)
            self.buf[rows[q, None, None], np.arange(f)[None, :, None], col[q, None, :]] = vals[q]
        busy = np.flatnonzero(~quiet)
        single = ends[busy].sum(axis=1) == 1
        js = np.argmax(ends[busy], axis=1)
        for j in np.unique(js[single]).tolist():
            # The usual live case: many rows complete a block at the same frame j.
            sel = busy[single & (js == j)]
            rsel = rows[sel]
            ix = (rsel[:, None, None], np.arange(f)[None, :, None])
            self.buf[(*ix, col[sel, None, : j + 1])] = vals[sel, :, : j + 1]
            self._summarise(rsel, self.buf[rsel])
            self.buf[rsel] = np.nan
            self.buf[(*ix, col[sel, None, j + 1 :])] = vals[sel, :, j + 1 :]
            base[sel, :, j + 1 :] = self.base[rsel][:, :, None]
            spread[sel, :, j + 1 :] = self.spread[rsel][:, :, None]
        for i in busy[~single].tolist():
            row, a = rows[i : i + 1], 0
            for j in np.flatnonzero(ends[i]).tolist():
                # Frame j completes a block: its summary applies from frame j + 1 on.
                self.buf[row[0]][:, col[i, a : j + 1]] = vals[i, :, a : j + 1]
                self._summarise(row, self.buf[row])
                self.buf[row] = np.nan
                base[i, :, j + 1 :] = self.base[row[0]][:, None]
                spread[i, :, j + 1 :] = self.spread[row[0]][:, None]
                a = j + 1
            self.buf[row[0]][:, col[i, a:]] = vals[i, :, a:]
        return base, spread

    def _summarise(self, rows: IntArray, block: Array) -> None:
        """Store each row's block summary (rows, features, block) and renew its baseline."""
        med = _nanmedian(block)
        enough = np.isfinite(block).sum(axis=2) * 2 >= self.block
        mad = _nanmedian(np.abs(block - med[:, :, None]))
        r, feat = np.nonzero(enough)
        slot = self.count[rows[r], feat] % self.blocks
        self.medians[rows[r], feat, slot] = med[r, feat]
        self.mads[rows[r], feat, slot] = mad[r, feat]
        self.count[rows[r], feat] += 1
        medians = self.medians[rows]
        center = _nanmedian(medians)
        between = _nanmedian(np.abs(medians - center[:, :, None]))
        within = _nanmedian(self.mads[rows])
        known = self.count[rows] >= self.min_blocks
        self.base[rows] = np.where(known, center, np.nan)
        self.spread[rows] = np.where(known, _MAD_TO_SD * np.hypot(between, within), np.nan)


def _nanmedian(a: Array) -> Array:
    """Median along the last axis ignoring NaN (NaN where nothing is known).

    Sorting puts NaN last, so the median of the finite values sits at known
    positions: many times faster than np.nanmedian on small rows.
    """
    s = np.sort(a, axis=-1)
    count = np.isfinite(a).sum(axis=-1)
    lo = np.maximum((count - 1) // 2, 0)[..., None]
    hi = np.maximum(count // 2, 0)[..., None]
    hi = np.minimum(hi, a.shape[-1] - 1)
    med = 0.5 * (np.take_along_axis(s, lo, axis=-1) + np.take_along_axis(s, hi, axis=-1))[..., 0]
    out: Array = np.where(count > 0, med, np.nan)
    return out


def new_hold_state(rows: int) -> dict[str, Array]:
    """Fresh state for `glide_rows`: nothing good seen yet.

    last_k: last good frame (-1: none); held: the output then; goal: the
    neutral value then; step: the cyclic rate then (phase); offset and rec_k:
    the gap between output and live value at the last recovery, and its frame.
    """
    return {
        "last_k": np.full(rows, -1.0),
        "held": np.full(rows, np.nan),
        "goal": np.full(rows, np.nan),
        "step": np.full(rows, np.nan),
        "offset": np.zeros(rows),
        "rec_k": np.zeros(rows),
    }


def glide_rows(
    value: Array,
    good: BoolArray,
    target: Array,
    k0: IntArray,
    decay: float,
    back: float,
    st: dict[str, Array],
    step: Array | None = None,
) -> Array:
    """Hold-and-glide for rows (participants, frames) starting at frames k0 (rows,).

    Good frames give the value, plus what is left of the gap it had to the
    output when the signal returned (shrinking by `back` per frame). Bad
    frames glide from the last output toward the neutral `target` of the
    last good frame (by `decay` per frame), or, with a cyclic `step`
    (cycles per frame), keep turning at the last good rate. NaN before
    anything good. `st` (see `new_hold_state`) is updated.
    """
    cyclic = step is not None
    good = good & np.isfinite(value)
    if cyclic:
        assert step is not None
        good = good & np.isfinite(step)
    r, n = value.shape
    if n == 0:
        return value.copy()
    k = k0[:, None] + np.arange(n)
    was_good = st["last_k"] == (k0 - 1)
    prev = np.concatenate((was_good[:, None], good[:, :-1]), axis=1)
    changes = (good != prev).any(axis=1)
    out = np.empty_like(value)
    steady = np.flatnonzero(~changes)
    if steady.size:
        out[steady] = _steady(
            value[steady], good[steady, 0], k[steady], decay, back, st, steady, cyclic
        )
    for i in np.flatnonzero(changes).tolist():
        out[i] = _segments(
            value[i],
            good[i],
            target[i],
            None if step is None else step[i],
            int(k0[i]),
            decay,
            back,
            st,
            i,
        )
    # Remember what a later bad stretch needs: the last good frame's output and goal.
    last_good = np.where(good, k, -1).max(axis=1)
    here = last_good >= 0
    idx = np.clip(last_good - k0, 0, n - 1)
    rows = np.arange(r)
    st["last_k"] = np.where(here, last_good, st["last_k"]).astype(np.float64)
    st["held"] = np.where(here, out[rows, idx], st["held"])
    goal = target[rows, idx]
    st["goal"] = np.where(here, np.where(np.isfinite(goal), goal, out[rows, idx]), st["goal"])
    if step is not None:
        st["step"] = np.where(here, step[rows, idx], st["step"])
    return out


def _steady(
    value: Array,
    good: BoolArray,
    k: IntArray,
    decay: float,
    back: float,
    st: dict[str, Array],
    rows: IntArray,
    cyclic: bool,
) -> Array:
    """Rows whose frames are all good or all bad (the usual case), vectorised."""
    g = good[:, None]
    since_rec = (k - st["rec_k"][rows, None]).astype(np.float64)
    live = value + st["offset"][rows, None] * back**since_rec
    since_good = (k - st["last_k"][rows, None]).astype(np.float64)
    held, goal = st["held"][rows, None], st["goal"][rows, None]
    if cyclic:
        gone = held + st["step"][rows, None] * since_good
        return np.where(g, np.mod(live, 1.0), np.mod(gone, 1.0))
    gone = goal + (held - goal) * decay**since_good
    return np.where(g, live, np.where(st["last_k"][rows, None] >= 0, gone, np.nan))


def _segments(
    value: Array,
    good: BoolArray,
    target: Array,
    step: Array | None,
    k0: int,
    decay: float,
    back: float,
    st: dict[str, Array],
    i: int,
) -> Array:
    """One row whose signal changes between good and bad within the frames: run by run."""
    n = value.size
    out = np.empty(n)
    edges = np.flatnonzero(np.diff(good.astype(np.int8))) + 1
    bounds = [0, *edges.tolist(), n]
    last_k, held, goal = float(st["last_k"][i]), float(st["held"][i]), float(st["goal"][i])
    rate = float(st["step"][i])
    offset, rec_k = float(st["offset"][i]), float(st["rec_k"][i])
    prev_out = np.nan
    was_good = last_k == k0 - 1
    if k0 > 0 and last_k >= 0:  # the output just before these frames (frame k0 - 1)
        if was_good:
            prev_out = held
        elif step is not None:
            prev_out = float(np.mod(held + rate * (float(k0 - 1) - last_k), 1.0))
        else:
            prev_out = goal + (held - goal) * decay ** (k0 - 1 - last_k)
    for a, b in itertools.pairwise(bounds):
        k = np.arange(k0 + a, k0 + b, dtype=np.float64)
        if good[a]:
            if not was_good:  # recovery: start from the output we had
                gap = prev_out - value[a] if np.isfinite(prev_out) else 0.0
                if step is not None:
                    gap = (gap + 0.5) % 1.0 - 0.5
                offset, rec_k = float(gap), float(k0 + a)
            seg = value[a:b] + offset * back ** (k - rec_k)
            out[a:b] = np.mod(seg, 1.0) if step is not None else seg
            last_k, held = float(k0 + b - 1), float(out[b - 1])
            goal = float(target[b - 1]) if np.isfinite(target[b - 1]) else held
            if step is not None:
                rate = float(step[b - 1])
            was_good = True
        else:
            since = k - last_k
            if last_k < 0:
                out[a:b] = np.nan
            elif step is not None:
                out[a:b] = np.mod(held + rate * since, 1.0)
            else:
                out[a:b] = goal + (held - goal) * decay**since
            was_good = False
        prev_out = float(out[b - 1])
    st["offset"][i], st["rec_k"][i] = offset, rec_k
    if step is not None:
        st["step"][i] = rate
    return out


def switch_rows(target: Array, w0: Array, per_frame: float) -> Array:
    """A weight ramping toward `target` (rows, frames; NaN: stay) by `per_frame` per frame.

    Rows already at their target throughout are handled at once; the others
    frame by frame (rare: only while a source is being switched).
    """
    _, n = target.shape
    w = np.repeat(w0[:, None], n, axis=1)
    moving = ~((target == w0[:, None]) | np.isnan(target)).all(axis=1)
    for i in np.flatnonzero(moving).tolist():
        cur = float(w0[i])
        for j, t in enumerate(target[i].tolist()):
            if t == t:  # not NaN
                cur = min(cur + per_frame, t) if t > cur else max(cur - per_frame, t)
            w[i, j] = cur
    return w


@dataclass
class Glide:
    """Hold the last good value and glide toward a target while the input is bad (one row)."""

    decay: float  # per frame, toward the target while bad
    back: float = 0.0  # per frame, of the gap left when the signal returns (0: no glide back)
    state: dict[str, Array] = field(default_factory=lambda: new_hold_state(1))

    def apply(self, value: Array, good: BoolArray, target: Array, k0: int) -> Array:
        """Output frames k0.. : `value` where good, else the glide; NaN before anything good."""
        k = np.array([k0], dtype=np.int64)
        out: Array = glide_rows(
            value[None], good[None], target[None], k, self.decay, self.back, self.state
        )[0]
        return out
