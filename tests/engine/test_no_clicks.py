"""A step in any mapped parameter, through the real engine, never clicks.

For each parameter the demo maps from a feature, one layer is rendered four
times: held at the low end, held at the high end, ramped slowly from low to
high (the smoothed reference), and stepped from low to high at 1 s. The step
is smoothed by the engine (each parameter's declared smoothing time), so the
largest sample-to-sample jump after the step, and the largest peak above
8 kHz, must not exceed those of the reference renders by more than a small
margin. A click, a zipper or a pop shows up as many times larger.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import butter, sosfilt

from symphony.engine.offline import render_offline
from symphony.mapping.layout import ControlLayout
from symphony.mapping.schedule import Schedule
from symphony.performance.loader import load_performance

DEMO = Path(__file__).resolve().parents[2] / "performances" / "demo.toml"
PERF = load_performance(DEMO)
MAPPED = sorted({m.target for m in PERF.spec.mappings} | {"drone.gain_db", "mosaic.gain_db"})
SR, BS = 48000, 256
STEP_AT = 1.0
DURATION = 2.6
# The steady renders run longer: a granular texture's own loudest grain must
# be in the reference, or chance alone would look like a click.
REFERENCE_DURATION = 8.0
MARGIN = 1.25


def render_layer(
    target: str, values: list[tuple[float, float]], path: Path, duration: float = DURATION
) -> np.ndarray:
    layer_name, _ = target.split(".", 1)
    layer = next(x for x in PERF.spec.layers if x.name == layer_name)
    spec = PERF.spec.model_copy(
        update={
            "layers": [layer.model_copy(update={"gain_db": 0.0})],
            "mappings": [],
            "triggers": [],
            "scenes": {},
            "timeline": [],
        }
    )
    patches = {layer_name: PERF.patches[layer_name]}
    layout = ControlLayout(spec, patches)
    initial = layout.initial_values(spec, spec.output)
    index = layout.index(target)
    schedule = Schedule(
        np.array([int(t * SR) // BS for t, _ in values], dtype=np.int64),
        np.full(len(values), index, dtype=np.int64),
        np.array([v for _, v in values]),
    )
    render_offline(spec, patches, layout, initial, schedule, path, duration, seed=5)
    x, _ = sf.read(path, always_2d=True)
    return np.asarray(x, dtype=np.float64)


def max_jump(x: np.ndarray, start: float, end: float) -> float:
    seg = x[int(start * SR) : int(end * SR)]
    return float(np.max(np.abs(np.diff(seg, axis=0))))


HIGH_PASS = butter(4, 8000, btype="highpass", fs=SR, output="sos")


def max_crackle(x: np.ndarray, start: float, end: float) -> float:
    """Peak of the content above 8 kHz: a click is broadband, a soft pad is not.

    Saw-based pads have sample-to-sample jumps of their own every period, which
    can hide a gain step from `max_jump`; the high band shows it plainly.
    """
    y = sosfilt(HIGH_PASS, x, axis=0)
    return float(np.max(np.abs(y[int(start * SR) : int(end * SR)])))


@pytest.mark.parametrize("target", MAPPED)
def test_a_step_in_a_mapped_parameter_does_not_click(target: str, tmp_path: Path) -> None:
    layout = ControlLayout(PERF.spec, PERF.patches)
    param = layout.by_name[target].param
    low, high = param.low, param.high
    if target.endswith("gain_db"):
        low, high = -30.0, 0.0
    # All three renders start at the low value; the steady-high one jumps at
    # t=0, before the measured window, and settles well before STEP_AT.
    held_low = render_layer(target, [(0.0, low)], tmp_path / "low.wav", REFERENCE_DURATION)
    held_high = render_layer(
        target, [(0.0, low), (0.02, high)], tmp_path / "high.wav", REFERENCE_DURATION
    )
    # The smoothed reference: the same change made slowly, so every value in
    # between (where a texture may be at its loudest) is in the reference too.
    ramp_times = np.arange(0.0, REFERENCE_DURATION, 0.05)
    ramp = [(float(t), float(low + (high - low) * t / REFERENCE_DURATION)) for t in ramp_times]
    slow = render_layer(target, ramp, tmp_path / "slow.wav", REFERENCE_DURATION)
    stepped = render_layer(target, [(0.0, low), (STEP_AT, high)], tmp_path / "step.wav")
    assert np.all(np.isfinite(stepped))
    for metric in (max_jump, max_crackle):
        reference = max(
            metric(held_low, STEP_AT, REFERENCE_DURATION),
            metric(held_high, STEP_AT, REFERENCE_DURATION),
            metric(slow, STEP_AT, REFERENCE_DURATION),
        )
        measured = metric(stepped, STEP_AT, DURATION)
        assert measured <= MARGIN * reference + 1e-4, (
            f"{target}: step from {low:g} to {high:g}: {metric.__name__} {measured:.5f}, "
            f"steady renders at most {reference:.5f}"
        )
