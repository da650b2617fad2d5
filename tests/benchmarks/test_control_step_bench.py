"""benchmarks/control_step.py runs the live control path, and the feature hop does what it says.

No speed is asserted (benchmarks print tables; tests do not time the machine).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from symphony.collective.delay import lag_frames

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks" / "control_step.py"
DEMO = ROOT / "performances" / "demo.toml"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("control_step_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["control_step_bench"] = module
    spec.loader.exec_module(module)
    return module


def test_measure_counts_every_step_and_every_stage(bench: ModuleType) -> None:
    steps, per_step, stages = bench.measure(DEMO, 2, 1.0, 0.5, 0.1)
    assert steps == 50 and per_step.shape == (50,)
    assert set(bench.STAGES) <= set(stages) and all(v >= 0 for v in stages.values())
    assert stages["rate"] == 50.0


@pytest.mark.parametrize(("hop", "every"), [(0.1, 5), (0.0, 1)])
def test_features_are_pulled_once_per_hop(bench: ModuleType, hop: float, every: int) -> None:
    control, clock = bench.build(DEMO, 3, 3.0)
    bench.set_hop(control, hop)
    pulls: list[int] = []
    pull = control.features.pull
    control.features.pull = lambda now: pulls.append(round(now * 50)) or pull(now)
    for k in range(100):
        clock.now = k / 50
        control.step()
    lag = lag_frames(50)  # the room reads frames FEATURE_LAG late (collective/delay.py)
    assert pulls == [k - lag for k in range(0, 100, every)]
    # The show still hears everyone: features arrived and the collective counts them.
    assert len(control.room.roster.members) == 3  # everyone joined the room
    assert np.isfinite(control.state.collective["presence"])
