"""`monitor --collective` shows the very room a live show hears, value for value.

The live control process (`LiveControl`, stepped on a virtual clock at the
control rate, no engine) plays a recording as its source; `symphony monitor
RECORDING --collective --json --fast` reads the same recording. Both feed
one `Room` through the same features, so at every room update both must
give the same collective values and the same roster (to the 4 decimals
monitor prints).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import pytest

from symphony.collective.snapshot import roster_counts
from symphony.commands.monitor import run_monitor
from symphony.inputs.sources import make_source
from symphony.live.control import LiveControl
from symphony.performance.loader import load_performance

ROOT = Path(__file__).resolve().parents[2]
CIRCLE = ROOT / "performances" / "recordings" / "circle.signals"
MINI = ROOT / "tests" / "fixtures" / "performances" / "mini.toml"
SECONDS = 16.0


def _live_frames() -> dict[float, tuple[dict[str, float], dict[str, int]]]:
    perf = load_performance(MINI)
    now = {"t": 0.0}
    spec = {"kind": "recording", "name": "circle", "path": str(CIRCLE)}
    source = make_source(spec, lambda: now["t"])
    source.open()
    control = LiveControl(perf, [source], lambda *a: True, lambda: now["t"])
    rate = control.rate
    out = {}
    last = None
    for k in range(int(SECONDS * rate) + 1):
        now["t"] = k / rate
        control.step()
        if control.frame is not None and control.frame is not last:
            last = control.frame
            out[round(last.time, 3)] = (dict(last.values), roster_counts(last.counts))
    return out


def test_monitor_collective_gives_the_live_rooms_values(capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(
        source=str(CIRCLE), json=True, fast=True, plot=None, duration=SECONDS, collective=True
    )
    assert run_monitor(args) == 0
    monitor = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    live = _live_frames()
    compared = heard = 0
    for update in monitor:
        values, roster = live[update["time"]]
        assert update["roster"] == roster, update["time"]
        for name, shown in update["collective"].items():
            v = values.get(name, math.nan)
            if shown["value"] is None:
                assert not math.isfinite(v), (update["time"], name, v)
            else:
                assert shown["value"] == pytest.approx(v, abs=1e-4), (update["time"], name)
                compared += 1
        heard += roster["heard"] == 3
    assert heard > 50 and compared > 1000  # the whole fade-in and the full room
