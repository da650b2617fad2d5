"""benchmarks/latency.py: its arithmetic, and its meter against the bare client on real JACK.

No speed is asserted here (benchmarks print tables; tests must not time the
machine): the real-JACK test only checks that the meter and the bare client
work together and measure notes.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from tests.jack_server import jack_server

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "latency.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("latency_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["latency_bench"] = module
    spec.loader.exec_module(module)
    return module


def test_first_onset(bench: ModuleType) -> None:
    x = np.zeros(64, dtype=np.float32)
    assert bench.first_onset(x, 0.01) is None
    x[17], x[30] = -0.02, 0.5
    assert bench.first_onset(x, 0.01) == 17
    assert bench.first_onset(x, 0.1) == 30


def test_stats_table_and_verdicts(bench: ModuleType) -> None:
    sym = bench.Stats(64, frames=[64] * 98 + [128, 192], xruns=22, seconds=60.0)
    bare = bench.Stats(64, frames=[64] * 100, xruns=20, seconds=60.0)
    slow = bench.Stats(256, frames=[512] * 10, xruns=5, seconds=30.0)
    rows = [
        {
            "system": "symphony",
            "stats": sym,
            "referee": {"median_periods": 0.89, "p99_periods": 1.9},
        },
        {"system": "bare", "stats": bare, "referee": {"error": "referee timed out"}},
        {"system": "symphony", "stats": slow, "referee": None},
    ]
    text = bench.table(rows)
    assert "| symphony | 64 | 100 | 0 | 64 (1.00) |" in text
    assert "| 0.89 / 1.90 | 22.0 |" in text
    assert "| bare | 64 | 100 | 0 | 64 (1.00) | 64 (1.00) | 64 (1.00) | failed | 20.0 |" in text
    assert "| symphony | 256 | 10 | 0 | 512 (2.00) |" in text
    lines = bench.verdicts(rows)
    assert lines[0].startswith("64 frames: median 1.00 periods (meets 1)")
    assert "22.0/min vs bare 20.0/min = 1.10x (meets <= 1.1x)" in lines[0]
    assert lines[1].startswith("256 frames: median 2.00 periods (misses 1), p99 2.00 (meets")
    assert bench.failures(rows) == ["bare at 64: referee timed out"]
    assert math.isnan(bench.Stats(64).percentile(50))
    assert bench.failures([{"system": "bare", "stats": bench.Stats(64), "referee": None}]) == [
        "bare at 64: no note measured"
    ]


def test_meter_measures_the_bare_client(bench: ModuleType, tmp_path: Path) -> None:
    with jack_server(48000, 256), bench.bare_client(256, tmp_path) as proc:
        assert bench.wait_for_ports(["bare-midi:midi_in", "bare:out_1"], 60.0, proc)
        meter = bench.Meter("bare-midi:midi_in", "bare:out_1")
        try:
            stats = meter.run(60.0, count=5)
        finally:
            meter.close()
    assert stats.n >= 5, (tmp_path / "bare-256.log").read_text()[-1000:]
    assert stats.period == 256
    # Frames from note to sound: positive whole numbers (how many is the benchmark's business).
    assert all(isinstance(f, int) and f > 0 for f in stats.frames)
