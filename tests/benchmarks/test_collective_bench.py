"""benchmarks/collective.py: its baseline computes the same statistics as the room.

No speed is asserted (benchmarks print tables; tests do not time the machine).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from symphony.collective.sync_stats import loo_isc, ppc, standardise, unit_phasors

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "collective.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("collective_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["collective_bench"] = module
    spec.loader.exec_module(module)
    return module


def test_the_plain_baseline_is_the_same_statistics(bench: ModuleType) -> None:
    rng = np.random.default_rng(5)
    rates = np.cumsum(rng.standard_normal((7, 60)), axis=1) + rng.normal(size=(1, 60))
    assert bench._plain_isc(rates) == pytest.approx(float(loo_isc(standardise(rates))))
    phases = rng.random((7, 60))
    assert bench._plain_ppc(phases) == pytest.approx(float(ppc(unit_phasors(phases))))


def test_both_runs_step_the_same_crowd(bench: ModuleType) -> None:
    mean, worst, sync = bench._room_run(8, 50, 3, 5)
    assert 0.0 <= sync <= mean <= worst
    mean, worst = bench._plain_run(8, 50, 3, 5)
    assert 0.0 <= mean <= worst
