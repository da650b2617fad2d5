"""`symphony monitor SOURCE` through the sources registry: files, performances, KIND:options."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from pythonosc.udp_client import SimpleUDPClient

from symphony.commands.monitor import parse_options, run_monitor, source_specs
from symphony.errors import SymphonyError
from symphony.inputs.simulated import StateChange, simulate_group

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "performances" / "recorded.toml"
CIRCLE = ROOT / "performances" / "recordings" / "circle.signals"


def _args(source: str, **kw: object) -> argparse.Namespace:
    base = {"source": source, "json": True, "fast": True, "plot": None, "duration": 5.0}
    return argparse.Namespace(**{**base, **kw})


def test_options_nest_and_lsl_shorthand_selects_one_stream() -> None:
    spec = parse_options("brainflow", "board=CYTON_BOARD,params.serial_port=/dev/ttyUSB0")
    assert spec == {
        "kind": "brainflow",
        "name": "brainflow",
        "board": "CYTON_BOARD",
        "params": {"serial_port": "/dev/ttyUSB0"},
    }
    assert parse_options("osc", "port=9000,participant=anna")["port"] == 9000
    lsl = parse_options("lsl", "type=PPG,participant=anna,stall_timeout=2.5")
    assert lsl["streams"] == [{"type": "PPG", "participant": "anna"}]
    assert lsl["stall_timeout"] == 2.5
    assert parse_options("lsl", "name=Muse")["streams"] == [{"name": "Muse"}]


def test_sources_by_file_folder_and_performance() -> None:
    (folder,) = source_specs(str(CIRCLE), fast=True, duration=None)
    assert folder["kind"] == "recording" and folder["fast"] is True
    (named,) = source_specs(f"{RECORDED}:circle", fast=False, duration=None)
    assert named["path"] == str(CIRCLE) and named["fast"] is False
    assert source_specs(str(RECORDED), fast=True, duration=None)[0]["name"] == "circle"
    (sim,) = source_specs("simulated:3", fast=True, duration=8.0)
    assert sim["participants"] == 3 and sim["duration"] == 8.0


def test_bad_sources_say_what_is_expected() -> None:
    with pytest.raises(SymphonyError, match="did you mean 'circle'"):
        source_specs(f"{RECORDED}:circel", fast=True, duration=None)
    with pytest.raises(SymphonyError, match="KIND:key=value"):
        source_specs("lsll:type=EEG", fast=True, duration=None)
    with pytest.raises(SymphonyError, match="key=value"):
        parse_options("osc", "port")
    with pytest.raises(SymphonyError, match="did you mean 'participant'"):
        run_monitor(_args("brainflow:board=SYNTHETIC_BOARD,particpant=x"))


def test_monitor_a_live_session_folder_at_full_speed(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_monitor(_args(str(CIRCLE))) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert {x["participant"] for x in lines} == {"anna", "ben", "chloe"}
    assert lines[-1]["time"] == pytest.approx(5.0)


def test_monitor_a_performance_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_monitor(_args(f"{RECORDED}:circle", duration=20.0)) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    anna = [x for x in lines if x["participant"] == "anna"]
    assert anna[-1]["features"]["heart_rate"]["value"] is not None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_monitor_osc_on_loopback_in_real_time() -> None:
    """Real OSC packets to `symphony monitor osc:port=N`: the features of the sender appear."""
    port = _free_port()
    ppg = simulate_group(1, 30.0, 3, [StateChange(0.0, "calm")])[0].signals["ppg"]
    monitor = subprocess.Popen(
        [
            *(sys.executable, "-m", "symphony.cli", "monitor"),
            *(f"osc:port={port}", "--json", "--duration", "12"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    client = SimpleUDPClient("127.0.0.1", port)
    try:
        began, sent = time.monotonic(), 0
        while monitor.poll() is None and sent < ppg.n_samples:
            due = min(ppg.n_samples, int((time.monotonic() - began) * ppg.rate))
            for v in ppg.data[sent:due]:
                client.send_message("/symphony/zoe/ppg", float(v))
            sent = max(sent, due)
            time.sleep(0.02)
        out, err = monitor.communicate(timeout=60)
    finally:
        if monitor.poll() is None:
            monitor.kill()
            monitor.wait()
    assert monitor.returncode == 0, err[-2000:]
    zoe = [json.loads(x) for x in out.splitlines() if '"zoe"' in x]
    assert zoe, "no feature update for the OSC sender"
    rates = [x["features"]["heart_rate"]["value"] for x in zoe]
    finite = [r for r in rates if r is not None]
    assert finite and 40 < float(np.median(finite)) < 120
