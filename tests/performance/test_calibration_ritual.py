"""The calibration ritual: a resting scene (`calibrate = true`) makes everyone's baseline.

Through the render (simulated people, `participant_tracks`, as `symphony
render` plans them) and through the live control process (stepped on a
virtual clock with simulated people, as in a show): the window is the
scene's span on the timeline; the console shows how many baselines have
settled while it lasts; someone who joins after it gets a running baseline
and is marked so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from symphony.errors import SymphonyError
from symphony.features.simple import extract_features
from symphony.inputs.recording import Signal
from symphony.inputs.simulated import simulate_group
from symphony.inputs.sources.simulated_source import SimulatedSource, SimulatedSpec
from symphony.live.control import LiveControl
from symphony.performance.loader import load_performance
from symphony.performance.schema import calibration_window
from symphony.performance.simulation import participant_script, participant_tracks

RING8 = Path(__file__).resolve().parents[2] / "performances" / "ring8.toml"
WINDOW = (0.0, 20.0)  # the opening scene, shortened to 20 s


def _ritual(tmp_path: Path, extra: str = "calibrate = true\n") -> Path:
    text = RING8.read_text(encoding="utf-8")
    text = text.replace("[scenes.one-by-one]\n", f"[scenes.one-by-one]\n{extra}", 1)
    text = text.replace('at = "1:40"', 'at = "0:20"', 1)
    path = tmp_path / "ritual.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_calibrate_must_be_a_boolean_and_bands_are_checked(tmp_path: Path) -> None:
    with pytest.raises(SymphonyError) as err:
        load_performance(_ritual(tmp_path, 'calibrate = "yes"\n'))
    assert "calibrate" in str(err.value) and err.value.line is not None
    bad = _ritual(tmp_path, "")
    bad.write_text(
        bad.read_text(encoding="utf-8").replace(
            "[[layers]]", "[features]\neeg_bands = { alpha = [13, 8] }\n\n[[layers]]", 1
        ),
        encoding="utf-8",
    )
    with pytest.raises(SymphonyError) as err:
        load_performance(bad)
    assert "alpha" in str(err.value) and "features.eeg_bands" in str(err.value)


def test_render_takes_the_baselines_from_the_calibration_scene(tmp_path: Path) -> None:
    spec = load_performance(_ritual(tmp_path)).spec
    duration, rate = 45.0, 50.0
    assert calibration_window(spec, duration) == WINDOW
    tracks, _ = participant_tracks(spec, duration, spec.performance.seed, 2, rate)
    recs = simulate_group(2, duration, spec.performance.seed, participant_script(spec))
    for track, rec in zip(tracks, recs, strict=True):
        ritual = extract_features(rec, rate, calibration=WINDOW)
        running = extract_features(rec, rate)
        for name in ("arousal", "relaxation", "breath_depth"):
            assert np.array_equal(track.values[name], ritual.values[name], equal_nan=True)
        late = track.times() > 30.0
        # After the ritual the running baseline moves on; the calibrated one stays.
        assert not np.allclose(
            track.values["arousal"][late], running.values["arousal"][late], equal_nan=True
        )


def test_live_shows_progress_and_marks_a_newcomer_running(tmp_path: Path) -> None:
    perf = load_performance(_ritual(tmp_path))
    now = {"t": 0.0}
    source = SimulatedSource(
        SimulatedSpec(participants=8, duration=60.0, seed=4, fast=False, chunk=0.1),
        clock=lambda: now["t"],
    )
    source.open()
    control = LiveControl(perf, [source], lambda t, v: True, lambda: now["t"])
    assert control.features.calibration == WINDOW
    seen: dict[float, str] = {}
    for k in range(int(21.0 * 50)):
        now["t"] = k / 50
        control.step()
        if k % 50 == 0:
            seen[now["t"]] = control.state.calibrating
    assert seen[1.0] == "calibrating: 0 of 8 people settled"
    assert seen[19.0] == "calibrating: 8 of 8 people settled"
    assert seen[20.0] == ""  # the ritual is over
    assert {control.features.baseline_of(f"p{i:02d}") for i in range(1, 9)} == {"calibrated"}
    t = np.arange(0, 64) / 64.0 + 20.5
    control.features.push("late", Signal("ppg", 64.0, np.sin(2 * np.pi * t), "au", 20.5))
    assert control.features.baseline_of("late") == "running"
    assert control.features.calibration_progress() == (8, 8)  # the newcomer is not counted
