"""Learn in the console, driven through the real LearnTap (multiprocessing queue and flag)."""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path

from symphony.console.learning import ConsoleLearn
from symphony.live.midi_process import LearnTap
from symphony.midi.profiles import load_profile

PORT = "korg:nanoKONTROL2 MIDI 1"


def _drain_all(learn: ConsoleLearn, expected: int) -> None:
    """mp.Queue hands items over through a feeder thread: drain until all arrived."""
    end = time.monotonic() + 10.0
    while learn.heard < expected:
        assert time.monotonic() < end, f"heard {learn.heard} of {expected}"
        learn.drain()
        time.sleep(0.01)


def test_only_the_controller_teaches_with_undo_clear_and_write(tmp_path: Path) -> None:
    tap = LearnTap(mp.get_context("spawn"))
    out = tmp_path / "show-learned.toml"
    learn = ConsoleLearn(tap, ["fader1", "knob1"], "nanoKONTROL2", "Korg", out)
    tap.raw.put((PORT, [0xB0, 9, 1]))  # stale, from before learn began: discarded
    time.sleep(0.2)
    assert "controller teaches" in learn.begin()
    assert tap.learning.value == 1
    for v in range(0, 128, 16):
        tap.raw.put(("sequencer:out", [0xB0, 5, v]))  # another device: never learned
        tap.raw.put((PORT, [0xB0, 0, v]))
    _drain_all(learn, 16)
    assert "heard: fader: cc 0 on channel 1" in learn.lines()[2]
    assert learn.key("accept").startswith("learned fader: cc 0")
    assert learn.key("accept") == "learn: nothing to accept: move the control first"
    assert learn.key("undo") == "learn: undo"
    assert learn.session is not None and learn.session.current == "fader1"
    assert learn.key("clear") == "learn: clear"
    for v in range(10, 90, 10):
        tap.raw.put((PORT, [0xB0, 1, v]))
    _drain_all(learn, 24)
    learn.key("accept")
    learn.key("skip")
    assert any(line.startswith("   fader1") and "cc 1" in line for line in learn.lines())
    assert learn.key("write") == f"learn: profile written to {out}"
    assert not learn.active and tap.learning.value == 0
    assert load_profile(out).controls["fader1"].number == 1


def test_a_profile_that_cannot_be_written_keeps_learn_open(tmp_path: Path) -> None:
    tap = LearnTap(mp.get_context("spawn"))
    out = tmp_path / "missing" / "dir" / "x.toml"
    learn = ConsoleLearn(tap, ["fader1"], "nano", "Korg", out)
    learn.begin()
    said = learn.key("write")
    assert said.startswith(f"learn: cannot write {out}")
    assert learn.active and tap.learning.value == 1
    assert learn.key("cancel") == "learn cancelled; the controller plays again"
    assert tap.learning.value == 0
