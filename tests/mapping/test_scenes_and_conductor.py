"""Scenes crossfade without jumps; the conductor is the same live and offline."""

from __future__ import annotations

import numpy as np
import pytest

from symphony.collective.voices import allocate
from symphony.mapping.conductor import Conductor
from symphony.mapping.layout import ControlLayout
from symphony.mapping.scenes import SceneAutomation
from symphony.mapping.schedule import Schedule, events_to_schedule, frames_to_schedule
from symphony.performance.loader import Performance

RATE = 50.0


def setup(mini: Performance) -> tuple[ControlLayout, list[float]]:
    layout = ControlLayout(mini.spec, mini.patches)
    return layout, layout.initial_values(mini.spec, mini.spec.output)


def test_scene_values_reach_their_snapshots_and_never_jump(mini: Performance) -> None:
    layout, initial = setup(mini)
    scenes = SceneAutomation(mini.spec, layout, initial)
    t = np.arange(0, 20, 1 / RATE)
    native, depths = scenes.values(t)
    amp = native[[x.name for x in scenes.targets].index("tone.amp")]
    assert amp[0] == pytest.approx(0.25)  # patch default at the very start of a fade
    assert amp[int(5 * RATE)] == pytest.approx(0.2)  # 'open' reached after its 2 s fade
    assert amp[int(15 * RATE)] == pytest.approx(0.4)  # 'close' reached after 4 s
    # A smoothstep over 4 s moving 0.2 changes at most 1.5 * 0.2 / 4 per second.
    assert np.max(np.abs(np.diff(amp))) <= 1.5 * 0.2 / 4 / RATE + 1e-9
    assert depths[0][int(5 * RATE)] == 1.0 and depths[0][int(15 * RATE)] == pytest.approx(0.5)


def test_a_cue_during_a_crossfade_starts_from_where_the_value_is(mini: Performance) -> None:
    spec = mini.spec.model_copy(
        update={
            "timeline": [
                mini.spec.timeline[0].model_copy(update={"crossfade": 8.0}),
                mini.spec.timeline[1].model_copy(update={"at": 4.0}),
            ]
        }
    )
    layout, initial = setup(mini)
    scenes = SceneAutomation(spec, layout, initial)
    t = np.arange(0, 12, 1 / RATE)
    native, _ = scenes.values(t)
    for row in native:
        assert np.max(np.abs(np.diff(row))) < 0.05 * (np.ptp(row) + 1e-9) + 1e-9


def test_conductor_frame_by_frame_equals_all_at_once(mini: Performance) -> None:
    layout, initial = setup(mini)
    n = int(20 * RATE)
    t = np.arange(n) / RATE
    rng = np.random.default_rng(0)
    hr = 60 + 10 * np.sin(t / 3) + rng.normal(size=n)
    hr[100:180] = np.nan  # a gap
    features = {"heart_rate": hr}
    whole = Conductor(mini.spec, layout, initial, RATE).step(t, features)
    live = Conductor(mini.spec, layout, initial, RATE)
    frames = [live.step(t[k : k + 1], {"heart_rate": hr[k : k + 1]}) for k in range(n)]
    np.testing.assert_allclose(np.hstack(frames), whole, rtol=0, atol=1e-9)


def test_non_finite_features_and_spikes_never_reach_the_values(mini: Performance) -> None:
    layout, initial = setup(mini)
    n = 500
    t = np.arange(n) / RATE
    hr = np.full(n, 70.0)
    hr[100:120] = np.nan
    hr[200] = np.inf
    hr[300] = 1e30
    hr[301] = -1e30
    values = Conductor(mini.spec, layout, initial, RATE).step(t, {"heart_rate": hr})
    assert np.all(np.isfinite(values))
    for row, target in zip(values, layout.continuous(), strict=True):
        assert np.all(row >= target.param.low) and np.all(row <= target.param.high)


def test_gain_rise_is_slew_limited(mini: Performance) -> None:
    layout, initial = setup(mini)
    gain_index = layout.index("tone.gain_db")
    initial = list(initial)
    initial[gain_index] = -80.0
    conductor = Conductor(mini.spec, layout, initial, RATE)
    t = np.arange(0, 20, 1 / RATE)
    values = conductor.step(t, {})
    row = [x.index for x in conductor.targets].index(gain_index)
    rise = np.diff(values[row]) * RATE
    assert rise.max() <= mini.spec.output.max_gain_rise_db_per_s + 1e-9
    assert values[row][-1] > -80.0  # it does rise, just slowly


def test_frames_to_schedule_keeps_only_changes_one_per_block() -> None:
    values = np.array([[1.0, 1.0, 2.0, 2.0, 3.0, 3.0]])
    times = np.arange(6) * 0.004  # 250 frames/s, blocks of 256 at 48 kHz = 5.33 ms
    sched = frames_to_schedule(values, [7], times, 48000, 256, [1.0])
    assert sched.targets.tolist() == [7, 7]
    assert sched.values.tolist() == [2.0, 3.0]
    assert sched.blocks.tolist() == [1, 3]


def test_events_become_pan_velocity_fire_on_the_allocated_voice(mini: Performance) -> None:
    layout, _ = setup(mini)
    voices = layout.voices["tone.ping"]
    places = allocate(3, len(voices))
    sched = events_to_schedule(
        [np.array([0.1]), np.array([]), np.array([0.2])],
        [np.array([0.5]), np.array([]), np.array([0.7])],
        places,
        voices,
        48000,
        256,
    )
    assert len(sched) == 6
    assert sched.targets.tolist()[:3] == [voices[0].pan, voices[0].velocity, voices[0].fire]
    assert sched.targets.tolist()[3:] == [voices[0].pan, voices[0].velocity, voices[0].fire]
    assert sched.values.tolist()[3:5] == [places[2].pan, 0.7]
    merged = Schedule.merge([sched, Schedule.empty()])
    assert np.all(np.diff(merged.blocks) >= 0)
