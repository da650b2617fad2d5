"""Layers reach exactly the output channels the performance gives them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from symphony.engine.offline import render_offline
from symphony.engine.patch import load_patch
from symphony.mapping.layout import ControlLayout
from symphony.mapping.schedule import Schedule
from symphony.performance.schema import PerformanceSpec

PATCHES = Path(__file__).resolve().parents[1] / "fixtures" / "patches"


def test_full_width_and_subset_layers_on_four_channels(tmp_path: Path) -> None:
    spec = PerformanceSpec.model_validate(
        {
            "performance": {"duration": 1},
            "output": {"channels": 4},
            "participants": {"voices": 1},
            "layers": [
                {"name": "everywhere", "patch": "tone", "params": {"amp": 0.0}},
                {"name": "back", "patch": "tone", "channels": [3, 4], "params": {"amp": 0.3}},
            ],
        }
    )
    patches = {n: load_patch(PATCHES / "tone.py") for n in ("everywhere", "back")}
    layout = ControlLayout(spec, patches)
    out = tmp_path / "four.wav"
    render_offline(
        spec,
        patches,
        layout,
        layout.initial_values(spec, spec.output),
        Schedule.empty(),
        out,
        1.0,
        seed=1,
    )
    x, _ = sf.read(out, always_2d=True)
    rms = np.sqrt(np.mean(x[4800:] ** 2, axis=0))
    assert x.shape[1] == 4
    assert rms[0] < 1e-6 and rms[1] < 1e-6, rms
    assert rms[2] > 0.05 and rms[3] > 0.05, rms
