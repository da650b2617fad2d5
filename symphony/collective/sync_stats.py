"""The statistics of synchrony, on windows of everyone's series: pure numpy, batched.

Two measures, each with a surrogate test:

- **Leave-one-out inter-subject correlation (ISC)** of a slow series such
  as heart rate: each person's window correlated with the mean of everyone
  else's, averaged over people. Independent people give about 0, people
  who rise and fall together give up to 1.
- **Pairwise phase consistency (PPC)** of a cyclic series such as the
  breathing phase: per instant, (|sum of e^{i phi}|^2 - N) / (N (N - 1)),
  the mean cosine of every pair's phase difference, averaged over the
  window. Unlike the Kuramoto order parameter R (about 0.89 / sqrt(N) for
  independent phases), its expectation is exactly 0 for independent people
  at any N, so it does not rise and fall as people come and go.

The surrogate p-value breaks the alignment between people while keeping
each person's own series, and asks how often the shuffled room is at least
as synchronous as the real one: p = (1 + #{surrogate >= observed}) / (B + 1).
For rates every person is shifted in time by their own random lag within a
history longer than the window (`isc_null`; circular shifts inside
the window would put a seam in every slow series); for phases every
person's phases are turned by their own random constant (`rotation_null`).

Windows are rows (people) by columns (samples, oldest first).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
ComplexArray = npt.NDArray[np.complex128]
IntArray = npt.NDArray[np.int64]

_CHUNK = 1 << 21  # elements per batch of surrogates: bounds the memory of the gather


def standardise(x: Array) -> Array:
    """Rows centred and scaled to unit norm; NaN samples take the row's mean (count 0).

    A row that does not vary (or has no finite sample) becomes all zeros:
    it correlates with nothing, rather than dividing by zero.
    """
    finite = np.isfinite(x)
    count = finite.sum(axis=-1, keepdims=True)
    mean = np.where(finite, x, 0.0).sum(axis=-1, keepdims=True) / np.maximum(count, 1)
    centred = np.where(finite, x - mean, 0.0)
    norm = np.sqrt((centred * centred).sum(axis=-1, keepdims=True))
    out: Array = np.divide(centred, norm, out=np.zeros_like(centred), where=norm > 1e-12)
    return out


def loo_isc(z: Array) -> Array:
    """Mean leave-one-out correlation over people, for standardised windows (..., n, W).

    With S the sum of everyone's rows, person i's others are S - z_i, so
    <z_i, S - z_i> and |S - z_i|^2 follow from <z_i, S>, |z_i|^2 and |S|^2:
    one pass over the window, however many people.
    """
    total = z.sum(axis=-2)
    zs = np.einsum("...nw,...w->...n", z, total)
    zz = np.einsum("...nw,...nw->...n", z, z)
    ss = np.einsum("...w,...w->...", total, total)[..., None]
    others = np.maximum(ss - 2.0 * zs + zz, 0.0)
    norm = np.sqrt(others * zz)
    dot = zs - zz
    r = np.divide(dot, norm, out=np.zeros_like(dot), where=norm > 1e-12)
    out: Array = r.mean(axis=-1)
    return out


def unit_phasors(phase: Array) -> ComplexArray:
    """e^{2 pi i phase} for phases in cycles; NaN (unknown) becomes 0 (no vote)."""
    finite = np.isfinite(phase)
    out: ComplexArray = np.where(finite, np.exp(2j * np.pi * np.where(finite, phase, 0.0)), 0.0)
    return out


def ppc(u: ComplexArray) -> Array:
    """Window-mean pairwise phase consistency of phasors (..., n, W) (0 where unknown).

    Instants with fewer than 2 known phases do not count; the mean is over
    the instants that do.
    """
    n = (u != 0).sum(axis=-2).astype(np.float64)
    s = u.sum(axis=-2)
    power = s.real * s.real + s.imag * s.imag
    pairs = n * (n - 1.0)
    ok = pairs > 0
    per = np.divide(power - n, pairs, out=np.zeros_like(power), where=ok)
    count = ok.sum(axis=-1)
    out: Array = np.divide(per.sum(axis=-1), count, out=np.zeros(per.shape[:-1]), where=count > 0)
    return out


def isc_of(segments: Array) -> Array:
    """`loo_isc` of raw rate segments (..., n, W): standardised one segment at a time."""
    return loo_isc(standardise(segments))


def segment_table(history: Array, width: int) -> Array:
    """Every person's every `width`-sample segment of `history` (n, H), standardised.

    (n, H - width + 1, width): computed once per refresh, so that each
    surrogate is only a gather of rows from it (`isc_null`).
    """
    views = np.lib.stride_tricks.sliding_window_view(history, width, axis=1)
    return standardise(views)


def isc_null(table: Array, offsets: IntArray) -> Array:
    """Leave-one-out ISC of rooms put together from other moments of each person, sorted.

    `table` is `segment_table` of everyone's history, oldest first; the real
    room is everyone's last segment. Surrogate b takes person i's segment
    starting at `offsets[b, i]`: their own rhythm and slowness, unaligned
    with the others. Unlike a circular shift inside the window there is no
    seam where a series jumps from its end to its start, which would make
    the shuffled rooms look less together than they are and the test too
    eager. Batched so that no gather holds more than about two million
    elements.
    """
    n, _, width = table.shape
    rows = np.arange(n)[None, :]
    per_batch = max(1, _CHUNK // max(1, n * width))
    out = [
        loo_isc(table[rows, offsets[a : a + per_batch]])
        for a in range(0, offsets.shape[0], per_batch)
    ]
    null: Array = np.sort(np.concatenate(out)) if out else np.zeros(0)
    return null


def rotation_null(u: ComplexArray, turns: Array) -> Array:
    """PPC of rooms in which each person's phases are turned by their own constant, sorted.

    `u` (n, W) phasors of the window, `turns` (B, n) uniform in 0..1 cycles.
    Turning one person's whole series keeps their rhythm exactly and only
    breaks where it sits against the others; the turns form a group (the
    circle), so for independent people whose phase has no preferred value
    the real room is one more draw of the same kind, and the test is exact.
    A time shift would be inexact here: shifts of a window are not a group
    without a seam, and a nearly periodic phase reads every seam.
    """
    n = (u != 0).sum(axis=0).astype(np.float64)
    pairs = n * (n - 1.0)
    ok = pairs > 0
    # einsum, not a BLAS matmul: small products, and BLAS threads would fight the audio.
    sums = np.einsum("bn,nw->bw", np.exp(2j * np.pi * turns), u)
    power = sums.real * sums.real + sums.imag * sums.imag
    per = np.divide(power - n, pairs, out=np.zeros_like(power), where=ok)
    count = max(int(ok.sum()), 1)
    null: Array = np.sort(per.sum(axis=1) / count)
    return null


def p_value(null: Array, observed: float) -> float:
    """(1 + #{null >= observed}) / (B + 1): the chance of a room this together by luck."""
    if null.size == 0 or not np.isfinite(observed):
        return 1.0
    at_least = null.size - int(np.searchsorted(null, observed, side="left"))
    return (1.0 + at_least) / (null.size + 1.0)
