"""Per-person calibration: each participant is measured against their own baseline.

Two people at rest, one at 50 bpm and one at 90 bpm (NeuroKit2's PPG
simulator, a model independent of ours), must get the same arousal once
their baselines are learnt (after `_BASELINE_MIN`, 10 s of good signal):
within 0.1 of each other and of the neutral 0.5, while their heart rates
stay 40 bpm apart.
"""

from __future__ import annotations

import numpy as np
import pytest

from symphony.features.simple import FEATURES, ParticipantFeatures, extract_features
from symphony.inputs.recording import ParticipantRecording, Signal
from symphony.inputs.simulated import StateChange, simulate_group

nk = pytest.importorskip("neurokit2", reason="NeuroKit2 simulates the independent PPG")


def _resting(bpm: float, seed: int) -> dict[str, np.ndarray]:
    x = nk.ppg_simulate(duration=120, sampling_rate=64, heart_rate=bpm, random_state=seed)
    rec = ParticipantRecording(f"hr{bpm:g}", {"ppg": Signal("ppg", 64.0, np.asarray(x))})
    track = extract_features(rec, 50.0)
    keep = track.times() > 40.0
    return {name: v[keep] for name, v in track.values.items()}


def test_slow_and_fast_resting_hearts_get_the_same_arousal() -> None:
    slow, fast = _resting(50.0, 1), _resting(90.0, 2)
    hr_gap = np.nanmedian(fast["heart_rate"]) - np.nanmedian(slow["heart_rate"])
    a_slow, a_fast = np.nanmedian(slow["arousal"]), np.nanmedian(fast["arousal"])
    msg = f"HR gap {hr_gap:.1f} bpm; arousal {a_slow:.3f} (50 bpm) vs {a_fast:.3f} (90 bpm)"
    assert 35.0 < hr_gap < 45.0, msg
    assert abs(a_slow - a_fast) < 0.1, msg
    assert abs(a_slow - 0.5) < 0.1 and abs(a_fast - 0.5) < 0.1, msg


def test_every_feature_documents_unit_and_range() -> None:
    for name, info in FEATURES.items():
        assert info.name == name and info.low < info.high and info.doc, name
        assert info.unit or (info.low, info.high) == (0, 1), f"{name}: unitless must be 0..1"


def test_a_calibration_window_keeps_a_lasting_change_visible() -> None:
    """Calibrated on the opening rest (10-90 s), a body aroused from 100 s stays aroused;
    the running baseline (~5 min memory) slowly takes the new state as normal.
    Measured: rest 0.48-0.51 both; 330-400 s calibrated 0.91-0.96, running 0.63-0.78."""
    script = [StateChange(0.0, "calm"), StateChange(100.0, "aroused")]
    for rec in simulate_group(3, 400.0, seed=31, script=script):
        running = extract_features(rec)
        calibrated = extract_features(rec, calibration=(10.0, 90.0))
        t = running.times()
        rest, late = (t >= 20) & (t < 90), (t >= 330) & (t < 400)
        for track in (running, calibrated):
            assert abs(np.nanmean(track.values["arousal"][rest]) - 0.5) < 0.1, rec.participant
        cal_late = np.nanmean(calibrated.values["arousal"][late])
        run_late = np.nanmean(running.values["arousal"][late])
        assert cal_late > 0.85 and cal_late > run_late + 0.05, (rec.participant, cal_late, run_late)


def test_calibration_window_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="start < end"):
        ParticipantFeatures("p", calibration=(30.0, 10.0))
