from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf

from symphony.engine.offline import render_offline
from symphony.engine.patch import load_patch
from symphony.mapping.layout import ControlLayout
from symphony.mapping.schedule import Schedule
from symphony.performance.schema import PerformanceSpec

FIXTURE_PATCHES = Path(__file__).resolve().parents[1] / "fixtures" / "patches"

Render = Callable[..., npt.NDArray[np.float64]]


@pytest.fixture
def render_patch(tmp_path: Path) -> Render:
    """Render one fixture patch through the real engine with a hand-made schedule.

    `changes` is a list of (seconds, 'layer.param', value).
    """

    def run(
        patch: str,
        changes: Sequence[tuple[float, str, float]] = (),
        duration: float = 2.0,
        output: dict[str, object] | None = None,
        gain_db: float = 0.0,
    ) -> npt.NDArray[np.float64]:
        spec = PerformanceSpec.model_validate(
            {
                "performance": {"duration": duration},
                "output": output or {},
                "layers": [{"name": "x", "patch": patch, "gain_db": gain_db}],
                "participants": {"voices": 2},
            }
        )
        patches = {"x": load_patch(FIXTURE_PATCHES / f"{patch}.py")}
        layout = ControlLayout(spec, patches)
        initial = layout.initial_values(spec, spec.output)
        bs, sr = spec.output.block_size, spec.output.sample_rate
        schedule = Schedule(
            np.array([int(t * sr) // bs for t, _, _ in changes], dtype=np.int64),
            np.array([layout.index(name) for _, name, _ in changes], dtype=np.int64),
            np.array([v for _, _, v in changes], dtype=np.float64),
        )
        out = tmp_path / f"{patch}.wav"
        render_offline(spec, patches, layout, initial, schedule, out, duration, seed=1)
        data, _ = sf.read(out, always_2d=True)
        return np.asarray(data, dtype=np.float64)

    return run
