"""The live control's heartbeat phase is `aggregate.beat_phase`, one time at a time."""

from __future__ import annotations

import numpy as np

from symphony.collective.aggregate import beat_phase
from symphony.live.control import _beat_phase


def test_beat_phase_for_one_time_equals_the_vectorised_one() -> None:
    rng = np.random.default_rng(2)
    for _ in range(200):
        beats = np.cumsum(rng.uniform(0.0, 1.5, size=rng.integers(0, 9))).tolist()
        if rng.random() < 0.2 and len(beats) > 1:
            beats[-1] = beats[-2]  # two detections at once: no interval
        times = rng.uniform(-1.0, (beats[-1] if beats else 0.0) + 3.0, size=20)
        expected = beat_phase(times, np.array(beats))
        got = np.array([_beat_phase(float(t), beats) for t in times])
        assert np.array_equal(got, expected, equal_nan=True)
