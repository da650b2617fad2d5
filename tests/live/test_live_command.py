"""`symphony live` end to end on a real JACK server: sound, features, log, re-render."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

from symphony.mapping.layout import ControlLayout
from symphony.performance.loader import load_performance
from symphony.session.log import read_session
from tests.jack_server import jack_server

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "performances" / "mini.toml"


def test_live_show_runs_logs_and_rerenders(tmp_path: Path) -> None:
    log = tmp_path / "show.session"
    with jack_server():
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "symphony.cli",
                "live",
                str(MINI),
                "--duration",
                "6",
                "--no-console",
                "--record",
                str(log),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ},
            check=False,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    status = [line for line in result.stdout.splitlines() if "scene" in line]
    assert status and "scene open" in status[-1]
    session = read_session(log)
    perf = load_performance(MINI)
    layout = ControlLayout(perf.spec, perf.patches)
    names = [layout.targets[t].name for t in session.schedule.targets.tolist()]
    assert any(n.endswith(".fire") for n in names), "no heartbeat reached the engine"
    assert "tone.freq" in names, "the heart-rate mapping never moved the tone"
    assert session.duration >= 4.0
    out = tmp_path / "rerender.wav"
    rerender = subprocess.run(
        [
            sys.executable,
            "-m",
            "symphony.cli",
            "render",
            str(MINI),
            "--session",
            str(log),
            "-o",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert rerender.returncode == 0, rerender.stderr
    x, _ = sf.read(out)
    assert np.all(np.isfinite(x)) and np.max(np.abs(x)) > 0.01


def test_live_without_a_jack_server_says_so(tmp_path: Path) -> None:
    env = {**os.environ, "JACK_DEFAULT_SERVER": "no-such-server-here"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "symphony.cli",
            "live",
            str(MINI),
            "--duration",
            "2",
            "--no-console",
            "--record",
            str(tmp_path / "x.session"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 2
    assert "symphony: error: engine: the jack audio backend did not start" in result.stderr
    assert "is the JACK server running?" in result.stderr


def test_live_refuses_a_session_log_that_already_holds_a_show(tmp_path: Path) -> None:
    """A second show appended to the first would no longer re-render: refuse, touch nothing."""
    log = tmp_path / "show.session"
    earlier = '#symphony-session 1 {"performance": "earlier"}\np 10\n'
    log.write_text(earlier)
    env = {**os.environ, "JACK_DEFAULT_SERVER": "no-such-server-here"}
    command = ["live", str(MINI), "--no-console", "--duration", "3", "--record", str(log)]
    result = subprocess.run(
        [sys.executable, "-m", "symphony.cli", *command],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert str(log) in result.stderr
    assert "already holds a show" in result.stderr
    assert "Traceback" not in result.stderr
    assert log.read_text() == earlier
