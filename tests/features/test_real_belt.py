"""Breathing rate on a real respiration-belt recording made by others, against NeuroKit2.

The recording is the one-minute sample of PLUX's chest respiration sensor
that ships in the biosignalsnotebooks wheel (see data/README.md): raw 16-bit
samples at 1000 Hz of someone breathing at about 11-20 breaths/min, with
shallow shoulders in the first 15 s and deeper, slower breaths after 33 s.

NeuroKit2's `rsp_process` is the reference, and its own `RSP_Rate` is what
symphony's `breath_rate` is compared with, frame by frame (every 0.25 s),
with no lag fitted. Frames count where both are valid:

- NeuroKit2's rate is a real measurement only between its second and its
  last detected trough (before and after, it holds the nearest cycle's rate);
- symphony's rate is finite and its quality is >= 0.5;
- and the first 15 s are left out: symphony is causal and learns the breath
  amplitude that scales its turn-back hysteresis from the recording itself,
  so over its first breaths (6-13 s here, with shallow shoulders at 7.9 s
  and 12.2 s between deeper breaths) it counts shoulders as breaths and says
  19-26 breaths/min at quality 0.9-1.0, while NeuroKit2 says 11-14 and the
  trace shows cycles of 3.5-5 s. With those frames (from 8.5 s) the median
  difference is 1.11 breaths/min: this test does not cover the warm-up.

Measured (NeuroKit2 0.2.13): median |difference| 0.96 breaths/min over 142
frames (15-50.2 s), 90th percentile 2.95, 47 % of frames above 1. The large
differences are at 15-16 s (NeuroKit2's one 3.1 s cycle, 19.6/min) and at
33-42 s, where the breaths lengthen from ~3.8 s to ~5 s: NeuroKit2 (whose
rate is interpolated across each whole cycle, so it sees the cycle coming)
says 12-13/min, symphony, causal and following its last few cycles, stays
at 15-16/min until 42 s. By inspection of the trace NeuroKit2 is right there.
The margin under the 1 breath/min tolerance is small (0.04).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from symphony.features.simple import extract_features
from symphony.features.track import FeatureTrack
from symphony.inputs.recording import ParticipantRecording, Signal

nk = pytest.importorskip("neurokit2", reason="NeuroKit2 is the reference")

DATA = Path(__file__).parent / "data" / "plux_respiration.npy"
FS = 1000.0  # Hz, from the OpenSignals header of the recording
RATE = 4.0  # frames per second
WARM_UP = 15.0  # s: symphony's amplitude reference is still being learned
OURS_GOOD = 0.5  # symphony quality above which its features are believed
TOLERANCE = 1.0  # breaths/min, issue 3


@pytest.fixture(scope="module")
def belt() -> np.ndarray:
    return np.load(DATA).astype(np.float64)


@pytest.fixture(scope="module")
def reference(belt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """NeuroKit2's per-sample rate (breaths/min) and its troughs (s)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        signals, info = nk.rsp_process(belt, sampling_rate=FS)
    troughs = np.asarray(info["RSP_Troughs"], dtype=np.float64) / FS
    return np.asarray(signals["RSP_Rate"], dtype=np.float64), troughs


@pytest.fixture(scope="module")
def track(belt: np.ndarray) -> FeatureTrack:
    return extract_features(ParticipantRecording("p", {"resp": Signal("resp", FS, belt)}), RATE)


def test_recording_is_the_expected_excerpt(belt: np.ndarray) -> None:
    """A guard against a truncated or re-encoded data file."""
    assert belt.size == 60_000
    assert 20_000 < belt.min() < belt.max() < 50_000


def test_breath_rate_matches_neurokit2(
    track: FeatureTrack, reference: tuple[np.ndarray, np.ndarray]
) -> None:
    nk_rate, troughs = reference
    assert troughs.size >= 10, f"NeuroKit2 found only {troughs.size} breaths"
    t = track.times()
    ours = track.values["breath_rate"]
    theirs = nk_rate[np.minimum(np.round(t * FS).astype(np.int64), nk_rate.size - 1)]
    use = (t >= max(WARM_UP, troughs[1])) & (t <= troughs[-1])
    use &= np.isfinite(ours) & (track.values["quality"] >= OURS_GOOD)
    error = np.abs(ours[use] - theirs[use])
    msg = (
        f"breath rate vs NeuroKit2 over {use.sum()} frames ({t[use][0]:.1f}-{t[use][-1]:.1f} s): "
        f"median {np.median(error):.2f}, 90th percentile {np.percentile(error, 90):.2f} breaths/min"
    )
    assert use.sum() >= 100, msg
    assert np.median(error) <= TOLERANCE, msg
