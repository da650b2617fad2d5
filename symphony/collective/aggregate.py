"""From everyone's features to one collective state.

Every participant counts equally: the collective value of a feature is a
*weighted median* across participants, where the only weight is signal
quality (a participant whose sensor slipped fades out instead of dragging
the group). A median, not a mean, so one person's extreme value cannot push
the room around. Synchrony is a signal in its own right: the Kuramoto order
parameter of breath phases (and of heartbeat phases) says how much the room
breathes, or beats, together.

All functions are pure and vectorised over frames: arrays have shape
(participants, frames).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from symphony.features.track import FeatureInfo

Array = npt.NDArray[np.float64]

COLLECTIVE_FEATURES: dict[str, FeatureInfo] = {
    f.name: f
    for f in (
        FeatureInfo("heart_rate", "bpm", 40, 140, "median heart rate of the room"),
        FeatureInfo("hrv_rmssd", "ms", 0, 150, "median heart-rate variability (RMSSD)"),
        FeatureInfo("breath_rate", "breaths/min", 3, 30, "median breathing rate"),
        FeatureInfo("breath_depth", "", 0, 1, "median breathing depth, relative"),
        FeatureInfo("breath_phase", "cycle", 0, 1, "mean breathing phase (0 = inhale start)"),
        FeatureInfo("breath_sync", "", 0, 1, "how together the room breathes (Kuramoto R)"),
        FeatureInfo("heart_sync", "", 0, 1, "how together the hearts beat (Kuramoto R)"),
        FeatureInfo("arousal", "", 0, 1, "median arousal, each against their own baseline"),
        FeatureInfo("relaxation", "", 0, 1, "median EEG relaxation, against own baseline"),
        FeatureInfo("presence", "", 0, 1, "mean signal quality: how present the room is"),
        FeatureInfo("count", "people", 0, 64, "participants with good contact"),
    )
}

# Features that are positions in a cycle: they wrap from 1 to 0.
CYCLIC_FEATURES = frozenset({"breath_phase"})

# Features summarised by the weighted median; phases need circular statistics.
MEDIAN_FEATURES = (
    "heart_rate",
    "hrv_rmssd",
    "breath_rate",
    "breath_depth",
    "arousal",
    "relaxation",
)


def quality_weight(quality: Array) -> Array:
    """Participant weight from signal quality: 0 below 0.2, 1 above 0.8, smooth between.

    A smooth ramp, not a threshold, so a participant whose contact flickers
    fades in and out instead of switching the collective value back and forth.
    """
    u = np.clip((np.nan_to_num(quality, nan=0.0) - 0.2) / 0.6, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def weighted_median(values: Array, weights: Array) -> Array:
    """Median across axis 0 where each value counts with its weight.

    NaN values count with weight zero; a frame with no weight left is NaN.
    """
    v = np.asarray(values, dtype=np.float64)
    w = np.where(np.isfinite(v), np.asarray(weights, dtype=np.float64), 0.0)
    v = np.where(np.isfinite(v), v, np.inf)  # sort unknowns last
    order = np.argsort(v, axis=0, kind="stable")
    v_sorted = np.take_along_axis(v, order, axis=0)
    w_sorted = np.take_along_axis(w, order, axis=0)
    cumulative = np.cumsum(w_sorted, axis=0)
    total = cumulative[-1]
    half = 0.5 * total
    # First index where the cumulative weight reaches half; an exact tie at
    # half averages with the next value, as the unweighted median does.
    idx = np.argmax(cumulative >= half - 1e-12, axis=0)
    cols = np.arange(v.shape[1])
    lower = v_sorted[idx, cols]
    tie = np.abs(cumulative[idx, cols] - half) <= 1e-12 * np.maximum(total, 1.0)
    nxt = np.minimum(idx + 1, v.shape[0] - 1)
    upper = v_sorted[nxt, cols]
    upper = np.where(np.isfinite(upper) & (w_sorted[nxt, cols] > 0), upper, lower)
    out = np.where(tie, 0.5 * (lower + upper), lower)
    return np.where(total > 0, out, np.nan)


def circular_stats(phases: Array, weights: Array) -> tuple[Array, Array]:
    """Mean phase (0..1) and bias-corrected synchrony (0..1) across axis 0.

    Synchrony is the Kuramoto order parameter R. R is biased upwards for few
    participants (two random phases give R around 0.7), so it is corrected
    with the effective number of participants n: R_c^2 = (n R^2 - 1)/(n - 1).
    Fewer than two effective participants give NaN: synchrony needs company.
    """
    p = np.asarray(phases, dtype=np.float64)
    w = np.where(np.isfinite(p), np.asarray(weights, dtype=np.float64), 0.0)
    angle = 2.0 * np.pi * np.nan_to_num(p)
    total = w.sum(axis=0)
    z = (w * np.exp(1j * angle)).sum(axis=0)
    safe_total = np.where(total > 0, total, 1.0)
    mean_phase = np.mod(np.angle(z) / (2.0 * np.pi), 1.0)
    r = np.abs(z) / safe_total
    n_eff = np.where(total > 0, total**2 / np.maximum((w * w).sum(axis=0), 1e-300), 0.0)
    ok = n_eff >= 1.5
    n_safe = np.where(ok, n_eff, 2.0)
    r_c = np.sqrt(np.clip((n_safe * r * r - 1.0) / (n_safe - 1.0), 0.0, 1.0))
    return np.where(total > 0, mean_phase, np.nan), np.where(ok, r_c, np.nan)


def beat_phase(times: Array, beats: Array) -> Array:
    """Position (0..1) within the current heartbeat, knowing only past beats.

    Causal: the phase since the last beat is scaled by the last inter-beat
    interval, and held at 1 (just before the next beat) if the next beat is
    late. NaN before two beats were seen.
    """
    t = np.asarray(times, dtype=np.float64)
    b = np.asarray(beats, dtype=np.float64)
    out = np.full(t.shape, np.nan)
    if b.size < 2:
        return out
    k = np.searchsorted(b, t, side="right") - 1  # index of the last beat <= t
    ok = k >= 1
    kk = np.clip(k, 1, b.size - 1)
    ibi = b[kk] - b[kk - 1]
    phase = (t - b[kk]) / np.where(ibi > 0, ibi, np.inf)
    out[ok] = np.clip(phase[ok], 0.0, 0.999)
    return out


def collective_features(
    values: dict[str, Array], quality: Array, beat_phases: Array | None = None
) -> dict[str, Array]:
    """The collective state for a block of frames.

    `values` maps feature names to (participants, frames) arrays; `quality`
    is (participants, frames); `beat_phases` (optional) likewise.
    """
    w = quality_weight(quality)
    out: dict[str, Array] = {}
    present = [name for name in MEDIAN_FEATURES if name in values]
    if present and w.shape[1:] == (1,) and all(np.shape(values[n])[1:] == (1,) for n in present):
        # One frame (a live show): every feature's median in one call, a column each.
        # Column by column it is the same arithmetic, so the same numbers.
        medians = weighted_median(np.hstack([values[n] for n in present]), w)
        for j, name in enumerate(present):
            out[name] = medians[j : j + 1]
    else:
        for name in present:
            out[name] = weighted_median(values[name], w)
    if "breath_phase" in values:
        out["breath_phase"], out["breath_sync"] = circular_stats(values["breath_phase"], w)
    if beat_phases is not None:
        _, out["heart_sync"] = circular_stats(beat_phases, w)
    q = np.nan_to_num(np.asarray(quality, dtype=np.float64), nan=0.0)
    out["presence"] = q.mean(axis=0)
    out["count"] = (q >= 0.5).sum(axis=0).astype(np.float64)
    return out
