"""`symphony learn` in a pseudo-terminal, taught by real JACK MIDI from another client.

The "controller" is a python-rtmidi JACK client with a virtual port named
like a nanoKONTROL2; a second client named otherwise plays at the same time
and must not be learned. Keys are typed into the terminal as a person would.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from symphony.midi.profiles import load_profile
from tests.console.terminal import Terminal
from tests.jack_server import jack_server

rtmidi = pytest.importorskip("rtmidi")
ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "hardware" / "controllers" / "korg-nanokontrol2.toml"


def _port(client: str, name: str) -> Any:
    out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name=client)
    out.open_virtual_port(name)
    return out


def _play(out: Any, *messages: list[int]) -> None:
    for m in messages:
        out.send_message(m)
        time.sleep(0.005)  # a hand moving, not a burst


def test_learn_walks_the_controls_with_undo_and_writes_a_profile(tmp_path: Path) -> None:
    out = tmp_path / "learned.toml"
    with jack_server():
        korg = _port("korg", "nanoKONTROL2 MIDI 1")
        other = _port("sequencer", "clock out")
        term = Terminal(
            [
                sys.executable,
                "-m",
                "symphony",
                "learn",
                "--port",
                "nanoKONTROL2",
                "--controls",
                "fader1,knob1,play",
                "--pause",
                "0",
                "-o",
                str(out),
            ],
            columns=120,
            lines=50,
        )
        try:
            term.wait_for("move 'fader1' (1/3)")
            _play(other, *[[0xB0, 7, v] for v in range(0, 128, 9)])  # not the controller
            _play(korg, *[[0xB0, 0, v] for v in range(0, 128, 9)])
            term.wait_for("heard: fader: cc 0 on channel 1")
            term.send("\r")
            term.wait_for("move 'knob1' (2/3)")
            _play(korg, *[[0xB0, 16, v] for v in range(10, 90, 7)])
            term.wait_for("heard: knob: cc 16")
            term.send("\r")
            term.wait_for("move 'play' (3/3)")
            term.send("u")  # that was the wrong knob: learn knob1 again
            term.wait_for("undone")
            screen = term.wait_for("move 'knob1' (2/3)")
            _play(korg, *[[0xB0, 17, v] for v in range(10, 90, 7)])
            term.wait_for("heard: knob: cc 17")
            term.send("\r")
            term.wait_for("move 'play' (3/3)")
            _play(korg, [0xB0, 41, 127], [0xB0, 41, 0])
            term.wait_for("heard: button: cc 41")
            term.send("\r")
            screen = term.wait_for("profile written")
            assert term.wait() == 0, screen
        finally:
            term.close()
            korg.close_port()
            other.close_port()
    controls = load_profile(out).controls
    assert {n: (c.kind, c.message, c.channel, c.number) for n, c in controls.items()} == {
        "fader1": ("fader", "cc", 1, 0),
        "knob1": ("knob", "cc", 1, 17),
        "play": ("button", "cc", 1, 41),
    }


def test_learn_from_a_template_by_script_keeps_its_bindings(tmp_path: Path) -> None:
    """Keys from a pipe (a script) instead of a terminal; pauses accept by themselves."""
    out = tmp_path / "nano.toml"
    with jack_server():
        korg = _port("korg", "nanoKONTROL2 MIDI 1")
        learn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "symphony",
                "learn",
                "--template",
                str(PROFILE),
                "--pause",
                "0.3",
                "-o",
                str(out),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert learn.stdout is not None and learn.stdin is not None
            lines = []
            for line in learn.stdout:
                lines.append(line)
                if "move 'fader1'" in line:  # taught in a new place: CC 40
                    _play(korg, *[[0xB0, 40, v] for v in range(0, 128, 9)])
                elif "move 'fader2'" in line:
                    _play(korg, *[[0xB0, 1, v] for v in range(0, 128, 9)])
                elif "move 'fader3'" in line:
                    learn.stdin.write("w")  # enough: write the two learned
                    learn.stdin.flush()
            assert learn.wait(60) == 0, "".join(lines) + learn.stderr.read()
        finally:
            if learn.poll() is None:
                learn.kill()
            korg.close_port()
    profile = load_profile(out)
    assert profile.spec.controller.name == "Korg nanoKONTROL2"
    assert [(n, c.number) for n, c in profile.controls.items()] == [("fader1", 40), ("fader2", 1)]
    template = load_profile(PROFILE).spec.bindings
    assert profile.spec.bindings == {"fader1": template["fader1"], "fader2": template["fader2"]}


def test_a_missing_controller_lists_the_ports_there(tmp_path: Path) -> None:
    with jack_server():
        korg = _port("korg", "nanoKONTROL2 MIDI 1")
        try:
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "symphony",
                    "learn",
                    "--port",
                    "Launchpad",
                    "--controls",
                    "a",
                    "-o",
                    str(tmp_path / "x.toml"),
                ],
                capture_output=True,
                text=True,
                timeout=60,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        finally:
            korg.close_port()
    assert result.returncode == 2
    assert "no MIDI input port matching 'Launchpad'" in result.stderr
    assert "korg:nanoKONTROL2 MIDI 1" in result.stderr
    assert not (tmp_path / "x.toml").exists()


def test_prompts_from_a_performance_are_bound_to_its_parameters() -> None:
    from symphony.cli import build_parser
    from symphony.commands.learn import plan

    demo = ROOT / "performances" / "demo.toml"
    args = build_parser().parse_args(["learn", "--performance", str(demo), "-o", "x.toml"])
    prompts, bindings, port, name = plan(args)
    assert "drone_level" in prompts and "master_gain_db" in prompts
    assert bindings["drone_level"].action == "param:drone.level"
    assert bindings["master_gain_db"].action == "master"
    assert port is None and name == "controller"


def test_exactly_one_source_of_prompts_is_asked_for(capsys: pytest.CaptureFixture[str]) -> None:
    from symphony.cli import main

    for extra in ([], ["--controls", "a", "--template", str(PROFILE)]):
        result = subprocess.run(
            [sys.executable, "-m", "symphony", "learn", "-o", "x.toml", *extra],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 2
        assert "exactly one of --controls, --template or --performance" in result.stderr
    assert main(["learn", "--controls", "fader1,fader 2", "-o", "x.toml"]) == 2
    assert "learn: 'fader 2' cannot name a control" in capsys.readouterr().err
