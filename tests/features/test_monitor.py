"""`symphony monitor`: sources parse, JSON lines carry units, the CSV header works."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from symphony.commands.monitor import read_csv_recording, run_monitor
from symphony.errors import SymphonyError
from symphony.inputs.simulated import StateChange, simulate_group


def _args(source: str, **kw: object) -> argparse.Namespace:
    base = {"source": source, "json": True, "fast": True, "plot": None, "duration": 4.0}
    return argparse.Namespace(**{**base, **kw})


def test_json_lines_for_simulated_participants(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_monitor(_args("simulated:2")) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert {x["participant"] for x in lines} == {"p01", "p02"}
    assert lines[-1]["time"] == pytest.approx(4.0)
    assert lines[-1]["features"]["heart_rate"]["unit"] == "bpm"


def test_csv_recording_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rec = simulate_group(1, 20.0, seed=2, script=[StateChange(0.0, "calm")])[0]
    fs = 64.0
    ppg = rec.signals["ppg"].data
    t = np.arange(ppg.size) / fs
    path = tmp_path / "rec.csv"
    rows = np.column_stack([t, ppg, ppg * 0.5])
    np.savetxt(path, rows, delimiter=",", header="time,p07.ppg,p07.eeg:TP9", comments="")
    (got,) = read_csv_recording(path)
    assert got.participant == "p07"
    assert got.signals["ppg"].rate == pytest.approx(fs)
    assert got.signals["eeg"].data.shape == (1, ppg.size)
    plot = tmp_path / "m.png"
    assert run_monitor(_args(str(path), json=False, duration=None, plot=plot)) == 0
    out = capsys.readouterr().out
    assert "p07" in out and "heart_rate" in out
    assert plot.stat().st_size > 1000


def test_bad_sources_are_explained(tmp_path: Path) -> None:
    with pytest.raises(SymphonyError, match="simulated:N"):
        run_monitor(_args("simulated:x"))
    with pytest.raises(SymphonyError, match="no such file"):
        run_monitor(_args(str(tmp_path / "missing.csv")))
    bad = tmp_path / "bad.csv"
    bad.write_text("time,heart\n0,1\n0.1,2\n")
    with pytest.raises(SymphonyError, match="kind must be one of"):
        run_monitor(_args(str(bad)))
