"""EDA alone moves arousal the right way: more skin conductance is more arousal, less is less.

A participant with only an EDA sensor (16 Hz): a steady tonic level with
small skin-conductance responses for a minute (the baseline), then a higher
level with more responses (arousal must rise above 0.5), or a lower, quieter
one (arousal must fall below 0.5).
"""

from __future__ import annotations

import numpy as np
import pytest

from symphony.features.simple import extract_features
from symphony.inputs.recording import ParticipantRecording, Signal

FS = 16.0


def _eda(after: float, responses: float, seed: int) -> np.ndarray:
    """90 s: 60 s at 2 uS with a response every ~8 s, then 30 s at `after` uS."""
    t = np.arange(int(90 * FS)) / FS
    rng = np.random.default_rng(seed)
    level = np.where(t < 60, 2.0, after)
    x = level + rng.normal(0, 0.005, t.size)
    rate = np.where(t < 60, 1 / 8, responses)
    onsets = t[rng.random(t.size) < rate / FS]
    for onset in onsets:
        dt = t - onset
        x += np.where(dt > 0, 0.15 * (1 - np.exp(-dt / 0.7)) * np.exp(-dt / 4.0), 0.0)
    return x


@pytest.mark.parametrize(("after", "responses", "up"), [(2.6, 1 / 2.0, True), (1.6, 1 / 30, False)])
def test_eda_alone_moves_arousal(after: float, responses: float, up: bool) -> None:
    x = _eda(after, responses, seed=3)
    rec = ParticipantRecording("p", {"eda": Signal("eda", FS, x, "uS", 0.0)})
    track = extract_features(rec, 10.0)
    t, arousal = track.times(), track.values["arousal"]
    rest = arousal[(t > 30) & (t < 60)]
    after_change = arousal[(t > 70) & (t < 90)]
    assert np.isfinite(rest).all() and np.isfinite(after_change).all()
    assert abs(np.median(rest) - 0.5) < 0.2  # near neutral against their own baseline
    if up:
        assert np.median(after_change) > 0.7, np.median(after_change)
    else:
        assert np.median(after_change) < 0.3, np.median(after_change)
