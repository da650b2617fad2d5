"""The latency probe through the full `symphony live` command, on a real JACK server.

No controller profile: the default mapping opens `symphony-midi:midi_in`,
and note 60 on channel 1, sent by a separate JACK client, makes the click
that `symphony:out_1` plays out of exact silence. A show whose MIDI backend
cannot start plays on without MIDI, with a warning.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from symphony.mapping.layout import ControlLayout
from symphony.performance.loader import load_performance
from symphony.session.log import read_session
from tests.jack_server import Capture, jack_server

ROOT = Path(__file__).resolve().parents[2]
PROBE = ROOT / "performances" / "latency-probe.toml"


def _live(log: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "symphony.cli",
            "live",
            str(PROBE),
            "--participants",
            "2",
            "--buffer",
            "256",
            "--no-console",
            "--record",
            str(log),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )


def _wait_for_ports(server: str, names: list[str], show: subprocess.Popen[str]) -> None:
    import jack

    client = jack.Client("port-watch", no_start_server=True, servername=server)
    try:
        for _ in range(600):  # up to a minute on a busy machine; not a timing assertion
            if all(client.get_ports(name) for name in names) or show.poll() is not None:
                break
            time.sleep(0.1)
    finally:
        client.close()


def test_note_60_from_another_client_clicks_on_out_1(tmp_path: Path) -> None:
    import rtmidi

    log = tmp_path / "probe.session"
    with jack_server(48000, 256) as server:
        show = _live(log, "--duration", "60")
        keyboard = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name="keyboard")
        capture: Capture | None = None
        try:
            _wait_for_ports(server, ["symphony:out_1", "symphony-midi:midi_in"], show)
            assert show.poll() is None, show.communicate()[1][-2000:]
            capture = Capture(server, ["symphony:out_1"])
            ports = keyboard.get_ports()
            keyboard.open_port(ports.index("symphony-midi:midi_in"), "out")
            before = capture.record(1.0)
            capture.blocks, capture.recording = [], True
            keyboard.send_message([0x90, 60, 100])
            for _ in range(100):  # until the click shows up, at most 10 s
                time.sleep(0.1)
                if any(float(np.abs(b).max()) > 0.01 for b in capture.blocks):
                    break
            capture.recording = False
            after = np.concatenate(capture.blocks)
            keyboard.send_message([0x80, 60, 0])
        finally:
            if capture is not None:
                capture.close()
            keyboard.close_port()
            show.send_signal(signal.SIGINT)
            _out, err = show.communicate(timeout=60)
    assert show.returncode == 0, err[-2000:]
    assert "default MIDI mapping, channel 1: note 60 -> probe.click" in err
    assert len(before) > 0 and float(np.abs(before).max()) < 1e-4, "the probe is not silent"
    assert float(np.abs(after).max()) > 0.01, "note 60 made no sound on symphony:out_1"
    # The engine applied the note (and logged it with its block) on the MIDI hot path.
    perf = load_performance(PROBE)
    layout = ControlLayout(perf.spec, perf.patches)
    fires = {v.fire for v in layout.voices["probe.click"]}
    logged = read_session(log).schedule.targets.tolist()
    assert sum(1 for t in logged if t in fires) == 1


def test_a_show_without_a_midi_backend_plays_on(tmp_path: Path) -> None:
    if Path("/dev/snd/seq").exists():
        pytest.skip("this machine has an ALSA sequencer, so ALSA MIDI cannot fail here")
    log = tmp_path / "no-midi.session"
    with jack_server(48000, 256):
        show = _live(log, "--midi-api", "alsa", "--duration", "4")
        _out, err = show.communicate(timeout=120)
    assert show.returncode == 0, err[-2000:]
    assert "symphony: warning: midi: cannot open a MIDI alsa input" in err
    assert "playing on without MIDI input" in err
    assert read_session(log).duration >= 2.0
