"""A live frame (one time at a time) gives the offline render's numbers, bit for bit.

The conductor and the scenes have a fast path for one frame (the live show
steps 50 times a second); it must be the same arithmetic as the path a
render takes with all frames at once, or a live show would not re-render.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from symphony.collective.names import COLLECTIVE_FEATURES
from symphony.mapping.conductor import Conductor
from symphony.mapping.layout import ControlLayout
from symphony.mapping.mapper import Hold, OnePole
from symphony.mapping.scenes import SceneAutomation
from symphony.performance.loader import Performance, load_performance

RATE = 50.0
DEMO = Path(__file__).resolve().parents[2] / "performances" / "demo.toml"


def _demo() -> tuple[Performance, ControlLayout, list[float]]:
    # The demo: exp, scurve and inverted mappings, gains that rise, long crossfades.
    demo = load_performance(DEMO)
    layout = ControlLayout(demo.spec, demo.patches)
    return demo, layout, layout.initial_values(demo.spec, demo.spec.output)


def _features(t: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = {}
    for name, info in COLLECTIVE_FEATURES.items():
        u = 0.5 + 0.45 * np.sin(t / rng.uniform(3, 30)) + 0.2 * rng.normal(size=t.size)
        x = info.low + (info.high - info.low) * u
        x[: rng.integers(0, 600)] = np.nan  # not warmed up yet
        x[rng.random(t.size) < 0.02] = np.nan  # a sensor that drops out
        out[name] = x
    return out


def test_conductor_one_frame_at_a_time_is_bit_identical_to_all_at_once() -> None:
    demo, layout, initial = _demo()
    t = np.arange(int(demo.spec.performance.duration * RATE) + 100) / RATE  # past the end
    features = _features(t, 3)
    whole = Conductor(demo.spec, layout, initial, RATE).step(t, features)
    live = Conductor(demo.spec, layout, initial, RATE)
    frames = np.hstack(
        [
            live.step(t[k : k + 1], {n: v[k : k + 1] for n, v in features.items()})
            for k in range(t.size)
        ]
    )
    assert np.array_equal(frames, whole)
    assert np.ptp(whole, axis=1).max() > 0  # the values do move


def test_scene_values_at_one_time_equal_the_block_also_after_a_live_cue() -> None:
    demo, layout, initial = _demo()
    scenes = SceneAutomation(demo.spec, layout, initial)
    scenes.add_cue(demo.spec.scenes[demo.spec.timeline[-1].scene], 100.0, 7.0)  # a called scene
    t = np.arange(0, demo.spec.performance.duration + 5, 0.37)
    native, depths = scenes.values(t)
    rise = scenes.max_rise(t)
    for k in range(t.size):
        one_native, one_depths = scenes.values(t[k : k + 1])
        assert np.array_equal(one_native[:, 0], native[:, k])
        assert np.array_equal(one_depths[:, 0], depths[:, k])
        assert scenes.max_rise(t[k : k + 1])[0] == rise[k]
    # What a caller does with one frame's values does not change the next frame's.
    first, _ = scenes.values(t[-1:])
    first[:] = np.nan
    again, _ = scenes.values(t[-1:])
    assert np.array_equal(again[:, 0], native[:, -1])


def test_hold_and_smoothing_one_frame_equal_a_block() -> None:
    rng = np.random.default_rng(1)
    for _ in range(50):
        x = rng.normal(size=200) * 10 ** rng.uniform(-3, 3)
        x[: rng.integers(0, 5)] = np.nan
        x[rng.random(200) < 0.05] = np.nan
        tau = rng.uniform(0.01, 5.0)
        block_hold, one_hold = Hold(), Hold()
        held = block_hold(x)
        assert np.array_equal(held, [one_hold.one(float(v)) for v in x], equal_nan=True)
        block, one = OnePole(tau, RATE), OnePole(tau, RATE)
        assert np.array_equal(block(held), [one.one(float(v)) for v in held], equal_nan=True)
