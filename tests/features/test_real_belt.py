"""Breathing rate on real respiration-belt recordings made by others, against NeuroKit2.

Two recordings that ship in the biosignalsnotebooks wheel (see data/README.md):

- `plux`: one minute of PLUX's chest respiration sensor (1000 Hz), someone
  breathing irregularly at about 11-20 breaths/min, with shallow shoulders
  in the first 15 s and deeper, slower breaths after 33 s;
- `nova`: 30 s of a respiration signal (100 Hz) from the novainstrumentation
  package: five deep breaths at ~22/min, then shallow, irregular wiggles
  (17-26 s) and a pause (27-30 s) in which NeuroKit2 finds no breath at all.

NeuroKit2's `rsp_process` is the reference, and its own `RSP_Rate` is what
symphony's `breath_rate` is compared with, frame by frame (every 0.25 s),
with no lag fitted. Frames count where NeuroKit2's rate is a measurement
(between its second and its last detected trough; outside, it holds the
nearest cycle's rate) and symphony's quality is >= 0.5, from the very start:
the belt's quality stays low until the breath size is known (issue 12).

Measured (NeuroKit2 0.2.13): `plux` median |difference| 0.88 breaths/min over
142 frames (believed from 15.0 s), `nova` 1.11 over 23 frames (from 10.25 s),
both together 0.90. (Before issue 12: `plux` 1.11 from 8.5 s, `nova` 1.63.)
The large differences are where NeuroKit2's rate is interpolated across the
whole cycle in progress (it sees the cycle coming): at 33-42 s of `plux` the
breaths lengthen from ~3.8 s to ~5 s and NeuroKit2 says 12-13/min while the
causal rate, following the last two cycles, stays at 15-16/min.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from symphony.features.simple import extract_features
from symphony.features.track import FeatureTrack
from symphony.inputs.recording import ParticipantRecording, Signal

nk = pytest.importorskip("neurokit2", reason="NeuroKit2 is the reference")

DATA = Path(__file__).parent / "data"
RECORDINGS = {"plux": ("plux_respiration.npy", 1000.0), "nova": ("nova_respiration.npy", 100.0)}
RATE = 4.0  # frames per second
OURS_GOOD = 0.5  # symphony quality above which its features are believed
TOLERANCE = 1.0  # breaths/min, median absolute difference (issue 12)
START_UP = 15.0  # s: the belt's start-up, where shoulders once counted as breaths


@dataclass
class Compared:
    """Symphony's track and NeuroKit2's rate on one recording."""

    belt: np.ndarray
    fs: float
    track: FeatureTrack
    nk_rate: np.ndarray  # per sample, breaths/min
    troughs: np.ndarray  # s


def load(name: str) -> tuple[np.ndarray, float]:
    """A vendored belt recording (samples, rate in Hz)."""
    file, fs = RECORDINGS[name]
    return np.load(DATA / file).astype(np.float64), fs


def compare(name: str) -> Compared:
    belt, fs = load(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        signals, info = nk.rsp_process(belt, sampling_rate=fs)
    troughs = np.asarray(info["RSP_Troughs"], dtype=np.float64) / fs
    track = extract_features(ParticipantRecording("p", {"resp": Signal("resp", fs, belt)}), RATE)
    return Compared(belt, fs, track, np.asarray(signals["RSP_Rate"], dtype=np.float64), troughs)


def errors(c: Compared) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per frame: |ours - NeuroKit2|, our quality, and where NeuroKit2 measures."""
    t = c.track.times()
    theirs = c.nk_rate[np.minimum(np.round(t * c.fs).astype(np.int64), c.nk_rate.size - 1)]
    with np.errstate(invalid="ignore"):
        err = np.abs(c.track.values["breath_rate"] - theirs)
    measured = (t >= c.troughs[1]) & (t <= c.troughs[-1])
    return err, c.track.values["quality"], measured


@pytest.fixture(scope="module")
def compared() -> dict[str, Compared]:
    return {name: compare(name) for name in RECORDINGS}


def test_recordings_are_the_expected_excerpts(compared: dict[str, Compared]) -> None:
    """A guard against a truncated or re-encoded data file."""
    plux, nova = compared["plux"].belt, compared["nova"].belt
    assert plux.size == 60_000 and 20_000 < plux.min() < plux.max() < 50_000
    assert nova.size == 3018 and 720 < nova.min() < nova.max() < 825


def test_breath_rate_matches_neurokit2(compared: dict[str, Compared]) -> None:
    pooled, msg = [], []
    for name, c in compared.items():
        assert c.troughs.size >= 5, f"{name}: NeuroKit2 found only {c.troughs.size} breaths"
        err, q, measured = errors(c)
        use = measured & np.isfinite(err) & (q >= OURS_GOOD)
        pooled.append(err[use])
        t, med = c.track.times()[use], np.median(err[use])
        msg.append(f"{name}: {use.sum()} frames ({t[0]:.1f}-{t[-1]:.1f} s), median {med:.2f}")
    both = np.concatenate(pooled)
    text = "; ".join(msg) + f"; together {np.median(both):.2f} breaths/min"
    assert pooled[0].size >= 100 and pooled[1].size >= 10, text
    assert np.median(pooled[0]) <= TOLERANCE, text  # the minute-long plux recording alone
    assert np.median(both) <= TOLERANCE, text


def test_start_up_is_not_confident_while_shoulders_count_as_breaths(
    compared: dict[str, Compared],
) -> None:
    """Until the breath size is learnt, quality stays low (issue 12: the belt's start-up).

    Before this was kept, `plux` said 19-26 breaths/min at quality 0.9-1.0
    over 6-13 s (NeuroKit2: 11-14), counting the shoulders at 7.9 s and 12.2 s.
    """
    for name, c in compared.items():
        _, q, _ = errors(c)
        t = c.track.times()
        theirs = c.nk_rate[np.minimum(np.round(t * c.fs).astype(np.int64), c.nk_rate.size - 1)]
        believed = (t < START_UP) & (q >= OURS_GOOD)
        # Counting shoulders makes the rate too fast (NeuroKit2's own short cycle at
        # 15-16 s of plux makes it faster than ours: not what this is about).
        with np.errstate(invalid="ignore"):
            too_fast = believed & (c.track.values["breath_rate"] - theirs > 3 * TOLERANCE)
        assert not too_fast.any(), f"{name}: believed and too fast at {t[too_fast][:5]} s"
        first = t[q >= OURS_GOOD][0]
        assert first > 2 * 60.0 / np.nanmedian(c.nk_rate), f"{name}: believed from {first} s"
