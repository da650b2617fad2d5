"""From a published LiveState to the rows of the console (who is in charge, and why)."""

from __future__ import annotations

import math
from pathlib import Path

from symphony.console.history import History
from symphony.console.view import Gauges, build_view, history_sample, param_rows
from symphony.engine.levels import PEAK, POWER, UPDATES
from symphony.live.control import LiveState
from symphony.performance.loader import load_performance

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "performances" / "mini.toml"


def _state() -> LiveState:
    return LiveState(
        time=12.0,
        participants={"p01": {"heart_rate": 75.0}},
        collective={"heart_rate": 75.0, "count": 1.0},
        values={"tone.freq": 365.0, "tone.gain_db": -6.0, "master.gain_db": 0.0},
        scene="close",
        held={"tone.gain_db": -80.0, "master.gain_db": -60.0},
        held_by={"tone.gain_db": "", "master.gain_db": "panic"},
        muted=["tone"],
        scene_values={"tone.freq": 330.0, "tone.gain_db": -6.0, "master.gain_db": 0.0},
        depths={"heart": 0.5},
        panic=True,
    )


def test_rows_say_who_is_in_charge_and_why() -> None:
    spec = load_performance(MINI).spec
    rows = {r.name: r for r in param_rows(_state(), spec)}
    assert next(iter(rows)) == "master.gain_db"
    master = rows["master.gain_db"]
    assert (master.value, master.who) == (-60.0, "performer")
    assert master.why.endswith("held -60.0 by panic | PANIC")
    freq = rows["tone.freq"]
    assert (freq.value, freq.who) == (365.0, "body")
    assert "heart pulls x0.50: heart_rate 75.0 -> 400" in freq.why
    gain = rows["tone.gain_db"]
    assert (gain.value, gain.who) == (-80.0, "muted") and gain.why.endswith("layer muted")


def test_view_reads_levels_and_midi_timing_from_shared_arrays() -> None:
    spec = load_performance(MINI).spec
    levels = [0.0] * 3
    gauges = Gauges(engine_pid=1, levels=levels, midi_timing=[0.0, 0.0, 0.0], period_ms=5.0)
    view = build_view(_state(), spec, "mini", 20.0, History(), gauges, {"engine": 5.0})
    assert math.isnan(view.peak_dbfs) and math.isnan(view.lufs)  # nothing published yet
    assert view.midi_ms is not None and math.isnan(view.midi_ms)  # no message yet
    levels[PEAK], levels[POWER], levels[UPDATES] = 0.5, 10 ** (-2.309), 1.0
    gauges.midi_timing = [0.0002, 0.0003, 4.0]
    view = build_view(_state(), spec, "mini", 20.0, History(), gauges, {"engine": 5.0})
    assert abs(view.peak_dbfs - 20 * math.log10(0.5)) < 1e-9
    assert abs(view.lufs - (-0.691 - 23.09)) < 1e-9
    assert view.midi_ms is not None and abs(view.midi_ms - 0.2) < 1e-9
    assert view.master_db == -60.0 and view.panic and view.people == 1
    assert view.xruns is None  # not on JACK


def test_history_sample_flattens_people_and_collective() -> None:
    assert history_sample(_state()) == {
        "collective.heart_rate": 75.0,
        "collective.count": 1.0,
        "p01.heart_rate": 75.0,
    }
