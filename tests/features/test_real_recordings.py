"""Accuracy on real PPG recordings made by others, against NeuroKit2 on the same data.

The recordings are heartpy's bundled examples (finger PPG: 25 s at 100 Hz,
128 s at ~117 Hz with a flat stretch and motion, 11 min at ~100 Hz with
movement). NeuroKit2's `ppg_process` is the reference; where the recording
is junk the reference is junk too, so beats are compared only where
NeuroKit2 itself is confident (its PPG_Quality >= 0.95) and symphony's
quality is >= 0.5; how much of NeuroKit2's confident part symphony covers is
asserted separately (>= 90 %).

symphony marks the steepest point of the systolic upstroke, NeuroKit2 the
systolic peak: the constant offset between the two (measured 65-79 ms on
these recordings) is estimated per recording as the median difference and
removed before matching within 50 ms.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pytest

from symphony.features.simple import extract_features
from symphony.features.track import FeatureTrack
from symphony.inputs.recording import ParticipantRecording, Signal

hp = pytest.importorskip("heartpy", reason="heartpy ships the real recordings")
nk = pytest.importorskip("neurokit2", reason="NeuroKit2 is the reference")

NK_CONFIDENT = 0.95  # NeuroKit2 PPG_Quality above which its beats are the reference
OURS_GOOD = 0.5  # symphony quality above which its features are believed
MATCH = 0.05  # s


@dataclass
class Compared:
    name: str
    track: FeatureTrack
    nk_beats: np.ndarray  # s
    nk_quality: np.ndarray  # per sample
    fs: float


def _load(index: int) -> tuple[np.ndarray, float]:
    data, timer = hp.load_exampledata(index)
    if index == 0:
        fs = 100.0
    elif index == 1:
        fs = float(hp.get_samplerate_mstimer(timer))
    else:
        fs = float(hp.get_samplerate_datetime(timer, timeformat="%Y-%m-%d %H:%M:%S.%f"))
    return np.asarray(data, dtype=np.float64), fs


@pytest.fixture(scope="module", params=[0, 1, 2], ids=["hp25s", "hp128s", "hp11min"])
def compared(request: pytest.FixtureRequest) -> Compared:
    x, fs = _load(request.param)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        signals, info = nk.ppg_process(x, sampling_rate=fs)
    track = extract_features(ParticipantRecording("x", {"ppg": Signal("ppg", fs, x)}), 50.0)
    beats = np.asarray(info["PPG_Peaks"], dtype=np.float64) / fs
    return Compared(
        f"example {request.param}", track, beats, np.asarray(signals["PPG_Quality"]), fs
    )


def _nearest(sorted_times: np.ndarray, t: np.ndarray) -> np.ndarray:
    j = np.clip(np.searchsorted(sorted_times, t), 1, sorted_times.size - 1)
    before, after = sorted_times[j - 1], sorted_times[j]
    out: np.ndarray = np.where(np.abs(after - t) < np.abs(before - t), after, before)
    return out


def _confident(c: Compared, t: np.ndarray) -> np.ndarray:
    idx = np.clip(np.round(t * c.fs).astype(np.int64), 0, c.nk_quality.size - 1)
    out: np.ndarray = c.nk_quality[idx] >= NK_CONFIDENT
    return out


def test_heartbeats_match_neurokit2_where_both_trust_the_signal(compared: Compared) -> None:
    c = compared
    ours = c.track.events["heartbeat"]
    diff = c.nk_beats - _nearest(ours, c.nk_beats)
    offset = float(np.median(diff[np.abs(diff) < 0.3]))
    assert 0.0 < offset < 0.15, f"{c.name}: upstroke-to-peak offset {offset * 1000:.0f} ms"
    ours_q = np.interp(c.nk_beats, c.track.times(), c.track.values["quality"]) >= OURS_GOOD
    ref = _confident(c, c.nk_beats)
    both = ref & ours_q
    matched = np.abs(diff - offset) <= MATCH
    recall = float(matched[both].mean())
    coverage = float(ours_q[ref].mean())
    back = np.abs(_nearest(c.nk_beats, ours + offset) - (ours + offset)) <= MATCH
    precision = float(back[_confident(c, ours + offset)].mean())
    msg = (
        f"{c.name}: offset {offset * 1000:.0f} ms, recall {recall:.3f} of {both.sum()} beats, "
        f"precision {precision:.3f}, coverage {coverage:.3f}"
    )
    assert recall >= 0.95, msg
    assert precision >= 0.95, msg
    assert coverage >= 0.90, msg


def test_heart_rate_matches_neurokit2(compared: Compared) -> None:
    """Median |HR - NeuroKit2's beat-to-beat HR| <= 2 bpm over frames both trust."""
    c = compared
    t = c.track.times()
    hr = c.track.values["heart_rate"]
    nk_hr = np.interp(t, c.nk_beats[1:], 60.0 / np.diff(c.nk_beats))
    use = (c.track.values["quality"] >= OURS_GOOD) & np.isfinite(hr) & _confident(c, t)
    use &= t > c.nk_beats[1]
    error = float(np.median(np.abs(hr[use] - nk_hr[use])))
    assert use.mean() > 0.5, f"{c.name}: only {use.mean():.2f} of frames compared"
    assert error <= 2.0, f"{c.name}: heart rate median absolute error {error:.2f} bpm"
