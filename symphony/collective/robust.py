"""Equal-weight, robust statistics of the room, continuous while people fade in and out.

Every heard participant counts the same: the collective value of a feature
is the *median* of everyone's value. Signal quality, consent and arrival
decide only *whether* a person is heard, through a gain that fades between
0 and 1 (see `roster.py`), never how much they weigh once heard.

A plain weighted median would jump while someone fades in: the moment a
newcomer's weight is above zero they can take the middle rank. So a fade is
read as a *probability of being heard*, all fades drawn from one shared
uniform U (person i is in the room iff U < w_i), and the collective value is
the expectation of the median over U:

    value = (1 / w_max) * sum_k (theta_k - theta_{k+1}) * median({i : w_i >= theta_k})

over the distinct weights theta_1 > theta_2 > ... (theta_{L+1} = 0). With
every weight 0 or 1 it is exactly the median of the people heard; it moves
continuously with every weight; and a newcomer at weight w can move it by
at most w times the median's own change when they are fully in. `w_max`,
the largest weight, is returned as the feature's *presence*: how much of
the room backs the value (0 in an empty room, where mappings fall back to
the scene's own values, the neutral bed).

Weights are quantised to 1/64 first (`LEVELS`): at most 64 nested medians
per feature, however many people are fading at once (ten thousand phones),
and a fade still moves the value in steps of at most 1/64 of its reach.

Bound (README, "The collective"): with N people heard at full weight, one
person, whatever their value (railed, infinite or NaN, which counts as not
heard), can only move the median between the two middle values of the
other N - 1 people. For N - 1 = 2m others sorted o_1..o_2m that is
[o_m, o_m+1]; for N - 1 = 2m + 1 it is [(o_m + o_m+1)/2, (o_m+1 + o_m+2)/2].
`influence_bounds` computes it; the property tests check it.

Dispersion (`X_spread`) is the interquartile range of the same nested sets,
scaled to a standard deviation: how differently people feel right now.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

LEVELS = 64  # fade weights are quantised to 1/LEVELS
IQR_TO_SIGMA = 1.0 / 1.349  # interquartile range x this = standard deviation, for normal spreads


def quantise(weights: Array, levels: int = LEVELS) -> Array:
    """Weights on the 1/levels grid, rounded down (never more heard than the fade says).

    NaN and negative weights are 0 (not heard).
    """
    w = np.floor(np.minimum(np.asarray(weights, dtype=np.float64), 1.0) * levels + 1e-9)
    w /= levels
    w[~(w > 0.0)] = 0.0
    return w


def fade_quantiles(
    values: Array, weights: Array, qs: tuple[float, ...], levels: int = LEVELS
) -> tuple[Array, Array, Array]:
    """Fade-blended quantiles of every column at once (see module docstring).

    `values` and `weights` are (people, features); a non-finite value counts
    as not heard. Returns (quantiles (features, len(qs)), presence
    (features,), people heard (features,)). One sort of a (levels, people,
    features) array does every nested set of every feature: the union of all
    features' weight levels is a finer partition of each feature's own, which
    leaves each feature's blend unchanged (empty sets are left out of it).
    """
    v = np.asarray(values, dtype=np.float64)
    n_features = v.shape[1]
    if v.shape[0] and weights.min() >= 1.0 and np.isfinite(v).all():
        return _everyone_quantiles(v, qs)  # the usual case: everyone heard in full
    w = quantise(weights, levels)
    w[~np.isfinite(v)] = 0.0
    heard = np.count_nonzero(w, axis=0)
    positive = w[w > 0.0]
    if positive.size == 0:
        return np.full((n_features, len(qs)), np.nan), np.zeros(n_features), heard
    thetas = np.unique(positive)[::-1]  # distinct levels, highest first
    gaps = np.diff(thetas[::-1], prepend=0.0)[::-1]  # theta_k - theta_k+1
    members = w[None, :, :] >= thetas[:, None, None]  # (levels, people, features)
    x = np.where(members, v[None, :, :], np.nan)
    x.sort(axis=1)  # NaN (not a member) sorts last
    counts = members.sum(axis=1)  # (levels, features)
    last = np.maximum(counts - 1, 0)
    pos = np.asarray(qs)[:, None, None] * last  # (quantiles, levels, features)
    lo = pos.astype(np.int64)  # floor: pos >= 0
    hi = np.minimum(lo + 1, last)
    frac = pos - lo
    level, feature = np.indices(counts.shape)
    a = x[level, lo, feature]
    b = x[level, hi, feature]
    quantile = np.where(frac > 0.0, a + frac * (b - a), a)  # (quantiles, levels, features)
    share = gaps[:, None] * (counts > 0)  # each level's part of each feature's blend
    presence = share.sum(axis=0)
    blended = np.where(share > 0.0, quantile, 0.0) * share
    with np.errstate(invalid="ignore", divide="ignore"):
        out = blended.sum(axis=1) / presence  # (quantiles, features)
    return out.T, presence, heard


def _everyone_quantiles(v: Array, qs: tuple[float, ...]) -> tuple[Array, Array, Array]:
    """`fade_quantiles` when every weight is 1 and every value finite: plain quantiles.

    The same interpolation between order statistics as the general path, on
    one sort, so the numbers are those it would give.
    """
    n, n_features = v.shape
    x = np.sort(v, axis=0)
    pos = np.asarray(qs) * (n - 1)
    lo = pos.astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    frac = (pos - lo)[:, None]
    a, b = x[lo], x[hi]
    quantile = np.where(frac > 0.0, a + frac * (b - a), a)
    return quantile.T, np.ones(n_features), np.full(n_features, n)


def fade_medians(values: Array, weights: Array, levels: int = LEVELS) -> tuple[Array, Array, Array]:
    """(medians, spreads, presence) of every column of (people, features) at once.

    The spread is the interquartile range scaled to a standard deviation,
    blended over the fades like the median; NaN with fewer than two people
    heard. An empty room gives NaN medians and spreads and presence 0.
    """
    quantiles, presence, heard = fade_quantiles(values, weights, (0.5, 0.25, 0.75), levels)
    spread = (quantiles[:, 2] - quantiles[:, 1]) * IQR_TO_SIGMA
    return quantiles[:, 0], np.where(heard >= 2, spread, np.nan), presence


def fade_median(values: Array, weights: Array, levels: int = LEVELS) -> tuple[float, float, float]:
    """(median, spread, presence) of one feature across participants (`fade_medians`)."""
    v = np.asarray(values, dtype=np.float64)[:, None]
    w = np.asarray(weights, dtype=np.float64)[:, None]
    medians, spreads, presence = fade_medians(v, w, levels)
    return float(medians[0]), float(spreads[0]), float(presence[0])


def influence_bounds(others: Array) -> tuple[float, float]:
    """Where the median of `others` plus one more person can lie, whatever that person's value.

    `others` are the values of the other people heard at full weight. The
    answer is the median of `others` with the extra person at -inf and at
    +inf; a NaN extra person (not heard) leaves the median of `others`,
    which lies between the two.
    """
    o = np.sort(np.asarray(others, dtype=np.float64))
    if o.size == 0:
        return -np.inf, np.inf
    low = float(np.median(np.concatenate(([-np.inf], o))))
    high = float(np.median(np.concatenate((o, [np.inf]))))
    if o.size == 1:  # the median of two is their mean: one person can take it anywhere
        return -np.inf, np.inf
    return low, high


def circular_mean(phases: Array, weights: Array) -> float:
    """Mean position (0..1) of cycle phases, each person heard with their fade weight.

    A plain weighted circular mean: continuous in the weights already. NaN
    when nobody is heard or the phases cancel out exactly.
    """
    p = np.asarray(phases, dtype=np.float64)
    w = np.where(np.isfinite(p), quantise(weights), 0.0)
    if not np.any(w > 0.0):
        return float("nan")
    z = np.sum(w * np.exp(2j * np.pi * np.where(np.isfinite(p), p, 0.0)))
    if abs(z) < 1e-12:
        return float("nan")
    return float(np.mod(np.angle(z) / (2.0 * np.pi), 1.0))
