"""MIDI learn inside the live console while simulated biosignals stream.

Real parts: a jackd dummy server, the engine, the MIDI process on JACK MIDI,
a separate JACK client playing the controller, `symphony live` in a pty.
While learning, the controller teaches and does not play (the session log
shows no fader value reached the engine), the show goes on (its clock
advances on screen), and afterwards the same fader plays again.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import pytest

from symphony.mapping.layout import ControlLayout
from symphony.midi.profiles import load_profile
from symphony.performance.loader import load_performance
from symphony.session.log import read_session
from tests.console.terminal import DEADLINE, Terminal
from tests.jack_server import jack_server

rtmidi = pytest.importorskip("rtmidi")
ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "performances" / "demo.toml"
PROFILE = ROOT / "hardware" / "controllers" / "korg-nanokontrol2.toml"
CLOCK = re.compile(r"(\d+:\d\d) / ")


def _sweep(out: object, cc: int, values: list[int]) -> None:
    for value in values:
        out.send_message([0xB0, cc, value])  # type: ignore[attr-defined]
        time.sleep(0.01)


# The sweep during learn uses values 1 mod 4, the one after it 0 mod 4, so the
# log tells which sweep a fader value came from, even if a message is lost.
DURING = [*range(1, 128, 4), 97]
AFTER = [*range(0, 128, 4), 127, 64]


def _clock(term: Terminal) -> str:
    found = CLOCK.search(term.text().splitlines()[0])
    return found.group(1) if found else ""


def _fader_positions(log: Path) -> list[float]:
    perf = load_performance(DEMO)
    layout = ControlLayout(perf.spec, perf.patches)
    schedule = read_session(log).schedule
    level = layout.index("drone.level")
    param = layout.targets[level].param
    moves = [v for t, v in zip(schedule.targets, schedule.values, strict=True) if t == level]
    positions = [param.to_position(v) for v in moves]
    # Fader steps are k/127 exactly; the scene's crossfade values are not.
    return [p for p in positions if p > 0.76 and abs(p * 127 - round(p * 127)) < 1e-9]


def test_learn_in_the_console_while_the_show_plays(tmp_path: Path) -> None:
    log = tmp_path / "show.session"
    argv = [sys.executable, "-m", "symphony", "live", str(DEMO), "--controller", str(PROFILE)]
    argv += ["--participants", "2", "--record", str(log)]
    with jack_server():
        korg = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name="korg")
        korg.open_virtual_port("nanoKONTROL2 MIDI 1")
        term = Terminal(argv, columns=150, lines=60)
        try:
            term.wait_for("PARAMETERS")
            term.send("l")
            term.wait_for("MIDI LEARN")
            term.wait_for("controller port 'nanoKONTROL2' only")
            term.wait_for("move 'fader1' (1/")
            started = _clock(term)
            _sweep(korg, 0, DURING)  # fader1: learned, not played
            term.wait_for("heard: fader: cc 0 on channel 1")
            term.send("\r")
            term.wait_for("move 'fader2'")
            end = time.monotonic() + DEADLINE
            while _clock(term) == started:  # biosignals and the show go on meanwhile
                assert time.monotonic() < end, "the show clock stopped during learn"
                time.sleep(0.1)
            assert "MIDI LEARN" in term.text()
            term.send("w")
            term.wait_for("learn: profile written to")
            time.sleep(0.5)  # the MIDI process sees learning end
            _sweep(korg, 0, AFTER)  # now fader1 plays again (pickup at the scene's 0.75)
            time.sleep(1.0)
            term.send("q")
            assert term.wait() == 0
        finally:
            term.close()
            korg.close_port()
    learned = load_profile(tmp_path / "show-learned.toml").controls
    assert list(learned) == ["fader1"] and learned["fader1"].number == 0
    steps = [round(p * 127) for p in _fader_positions(log)]
    assert steps, "after learn the fader never reached the engine"
    assert not [k for k in steps if k % 4 == 1], f"the fader played during learn: {steps}"
