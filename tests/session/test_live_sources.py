"""`symphony live` from `[[sources]]` on a real JACK server, fed by real LSL outlets and OSC.

Three people: anna (LSL, consented), ben (LSL, did not consent) and chloe
(OSC on loopback, did not consent), plus a Cyton board on a serial port that
does not exist (the missing device must not stop the show). The test pushes
simulated pulse waves through real pylsl outlets and python-osc packets
while the live command runs in its own process, then checks that the bodies
drove the sound, that anna's raw signal was written beside the session log
and reads back as a recording, and that ben's and chloe's raw samples never
reached the disk.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pylsl
from pythonosc.udp_client import SimpleUDPClient

from symphony.inputs.simulated import StateChange, simulate_group
from symphony.inputs.sources.recording_source import load_recording
from symphony.mapping.layout import ControlLayout
from symphony.performance.loader import load_performance
from symphony.session.log import read_session
from tests.jack_server import jack_server

PATCHES = Path(__file__).resolve().parents[1] / "fixtures" / "patches"
# Added to ben's and chloe's samples so their values are recognisable on disk.
MARK = 7919.0


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _performance(tmp: Path, tag: str, osc_port: int) -> Path:
    text = f"""
[performance]
title = "sources live"
duration = 60
seed = 5

[participants]
voices = 2

[[sources]]
name = "anna-strap"
kind = "lsl"
streams = [{{ name = "anna-{tag}", participant = "anna" }}]
consent = true

[[sources]]
name = "ben-strap"
kind = "lsl"
streams = [{{ name = "ben-{tag}", participant = "ben" }}]

[[sources]]
name = "phones"
kind = "osc"
port = {osc_port}
consent = {{ anna = true }}   # only anna may be kept; chloe sends here

[[sources]]
name = "cyton"
kind = "brainflow"
board = "CYTON_BOARD"
participant = "dan"
params = {{ serial_port = "/dev/symphony-no-such-port" }}

[[layers]]
name = "tone"
patch = "{PATCHES / "tone.py"}"
gain_db = -6

[[mappings]]
name = "heart"
source = "collective.heart_rate"
target = "tone.freq"
in_range = [50, 100]
out_range = [200, 800]
smoothing = 0.5

[[triggers]]
source = "heartbeat"
target = "tone.ping"
"""
    path = tmp / "show.toml"
    path.write_text(text)
    return path


def test_live_plays_from_lsl_and_osc_and_keeps_only_consenting_raw_signals(
    tmp_path: Path,
) -> None:
    tag = uuid.uuid4().hex[:8]
    port = _free_udp_port()
    show = _performance(tmp_path, tag, port)
    log = tmp_path / "show.session"
    people = simulate_group(3, 40.0, 4, [StateChange(0.0, "calm")])
    ppg = {p.participant: p.signals["ppg"] for p in people}
    anna, ben, chloe = ppg["p01"], ppg["p02"], ppg["p03"]
    rate = anna.rate

    def outlet(who: str) -> pylsl.StreamOutlet:
        return pylsl.StreamOutlet(pylsl.StreamInfo(f"{who}-{tag}", "PPG", 1, rate, "float32", who))

    # Ben's strap is switched on only after the show started: his source keeps
    # resolving with backoff and picks it up then.
    outlets = {"anna": outlet("anna")}
    osc = SimpleUDPClient("127.0.0.1", port)
    with jack_server():
        live = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "symphony.cli",
                "live",
                str(show),
                "--duration",
                "16",
                "--no-console",
                "--record",
                str(log),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ},
        )
        try:
            sent = 0
            began = time.monotonic()
            while live.poll() is None and sent + 16 <= anna.n_samples:
                due = min(anna.n_samples, int((time.monotonic() - began) * rate))
                if "ben" not in outlets and due > 4 * rate:
                    outlets["ben"] = outlet("ben")
                if due > sent:
                    piece = slice(sent, due)
                    outlets["anna"].push_chunk([[float(v)] for v in anna.data[piece]])
                    if "ben" in outlets:
                        outlets["ben"].push_chunk([[float(v) + MARK] for v in ben.data[piece]])
                    for v in chloe.data[piece]:
                        osc.send_message("/symphony/chloe/ppg", float(v) + MARK)
                    sent = due
                time.sleep(0.02)
            stdout, stderr = live.communicate(timeout=120)
        finally:
            if live.poll() is None:
                live.kill()
                live.wait()
    assert live.returncode == 0, stderr[-3000:]
    # The missing board was reported and the show went on.
    assert "session log written" in stderr

    # The bodies drove the sound: heartbeats fired and the heart-rate mapping moved.
    session = read_session(log)
    layout = ControlLayout(load_performance(show).spec, load_performance(show).patches)
    names = [layout.targets[t].name for t in session.schedule.targets.tolist()]
    assert any(n.endswith(".fire") for n in names), "no heartbeat reached the engine"
    assert "tone.freq" in names, "the heart-rate mapping never moved"
    status = [line for line in stdout.splitlines() if "people" in line]
    assert status and "people heard 3" in status[-1], status[-3:]

    # Only anna's raw signal is on disk, and it reads back as a recording.
    folder = tmp_path / "show.signals"
    assert sorted(p.name for p in folder.iterdir()) == ["anna-ppg.csv"]
    (recording,) = load_recording(folder)
    assert recording.participant == "anna"
    kept = recording.signals["ppg"]
    assert kept.rate == rate and kept.n_samples >= rate * 5
    # The inlet joined the outlet mid-stream: the kept samples are a run of the pushed ones.
    first = kept.data[np.isfinite(kept.data)][:64]
    pushed = np.float32(anna.data).astype(np.float64)
    runs = np.lib.stride_tricks.sliding_window_view(pushed, first.size)
    assert np.any(np.all(np.abs(runs - first) < 1e-5, axis=1)), "kept samples differ from anna's"
    # Nothing on disk holds a marked value (ben's and chloe's samples are near 7919).
    marked = re.compile(r"(^|[ ,])79[0-4]\d\.\d")
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix in (".csv", ".session"):
            text = path.read_text(errors="replace")
            assert not any(marked.search(line) for line in text.splitlines()), path
