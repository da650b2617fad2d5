"""A controller through the whole `symphony live` command, on a real JACK dummy server.

The controller is a separate JACK client (tests/live/show.py `Pads`) playing
tests/live/fixtures/pads-controller.toml against pads.toml: a "tone" layer
(330 Hz) with a fader on its gain and a knob in value-scaling mode on its
amplitude, a "pad" layer (660 Hz) gated by a pad, two scene buttons and a
layer button with LEDs. What the engine really did is read from the session
log and, for levels, measured on symphony's audio output.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from symphony.mapping.layout import ControlLayout
from symphony.performance.loader import load_performance
from symphony.session.log import read_session
from tests.jack_server import Capture, jack_server
from tests.live.show import PADS, PADS_PROFILE, LiveShow, Pads, tone_level

pytest.importorskip("rtmidi")

OUTS = ["symphony:out_1", "symphony:out_2"]


def applied(log: Path, name: str) -> list[float]:
    """Every value the engine applied to one target, in order."""
    perf = load_performance(PADS)
    target = ControlLayout(perf.spec, perf.patches).index(name)
    schedule = read_session(log).schedule
    return [float(v) for t, v in zip(schedule.targets, schedule.values, strict=True) if t == target]


def test_leds_follow_scene_and_layer_buttons_and_moves_change_the_output_as_mapped(
    tmp_path: Path,
) -> None:
    log = tmp_path / "show.session"
    with jack_server() as server:
        pads = Pads()
        show = LiveShow(PADS, PADS_PROFILE, log)
        capture = None
        try:
            show.wait_started()
            # The first refresh: scene a (from the timeline) lit, b dark, the tone layer on.
            show.wait_for(
                lambda: pads.lit() == {1: True, 2: False, 10: True}, "the first LED state"
            )
            pads.clear_leds()
            pads.press(2)  # scene b
            show.wait_for(lambda: pads.lit() == {1: False, 2: True}, "the scene LEDs to swap")
            pads.clear_leds()
            pads.press(10)  # the tone layer off
            show.wait_for(lambda: pads.lit() == {10: False}, "the layer LED to go dark")
            pads.press(10)  # and on again
            show.wait_for(lambda: pads.lit() == {10: True}, "the layer LED to light again")
            led_messages = pads.led_log()

            # Value scaling: the knob (tone.amp, scene b holds it at 0.3) moves the
            # parameter in its own direction, proportionally, from where it is.
            show.wait_for(
                lambda: any(abs(v - 0.3) < 1e-6 for v in applied_safe(log, "tone.amp")),
                "scene b's amplitude (0.3) to be applied",
            )
            knob = [96, 102, 110, 120]
            pads.send(*([0xB0, 16, v] for v in knob), gap=0.1)
            show.wait_for(
                lambda: len(knob_moves(applied_safe(log, "tone.amp"))) >= 3, "the knob's moves"
            )

            # Mapped output: the fader sets tone.gain_db over [-40, 0] dB (jump).
            capture = Capture(server, OUTS)
            pads.send([0xB0, 0, 127])
            loud = settle_and_measure(capture)
            pads.send([0xB0, 0, 64])
            soft = settle_and_measure(capture)
        finally:
            code = show.stop()
            print(show.output)  # shown by pytest when the test fails
            if capture is not None:
                capture.close()
            pads.close()
    assert code == 0, show.output[-3000:]
    # Only changes were sent, each as a note-on with velocity 127 (on) or 0 (off).
    assert led_messages == [[0x90, 10, 0], [0x90, 10, 127]]

    amp = applied(log, "tone.amp")
    assert any(abs(v - 0.3) < 1e-6 for v in amp), amp
    moves = knob_moves(amp)
    # The first touch (96) gives no direction; then 1 - v = (1 - v0)(1 - p)/(1 - p0).
    expected, v = [], 0.3
    for p0, p in itertools.pairwise(knob):
        v = 1.0 - (1.0 - v) * (1.0 - p / 127) / (1.0 - p0 / 127)
        expected.append(v)
    assert moves == pytest.approx(expected, abs=1e-6), amp
    assert all(m > 0.3 for m in moves) and moves[-1] < knob[-1] / 127

    # The fader's mapped amount: 127 -> 0 dB, 64 -> -40 + 40 * 64/127 dB.
    mapped_db = 0.0 - (-40.0 + 40.0 * 64 / 127)
    measured_db = 20.0 * np.log10(loud / soft)
    assert measured_db == pytest.approx(mapped_db, abs=0.5), (loud, soft)
    gains = changes(applied(log, "tone.gain_db"))
    assert gains[-2:] == pytest.approx([0.0, -40.0 + 40.0 * 64 / 127])


def applied_safe(log: Path, name: str) -> list[float]:
    """What the session log holds so far (it is written as the show goes)."""
    try:
        return applied(log, name)
    except Exception:  # the writer may be mid-record; try again
        return []


def knob_moves(amp: list[float]) -> list[float]:
    """The knob's values: above scene b's 0.3, each once (the MIDI process and the
    control process both send a performer's move, and both are logged)."""
    moves: list[float] = []
    for v in amp:
        if v > 0.3 + 1e-6 and (not moves or v != moves[-1]):
            moves.append(v)
    return moves


def settle_and_measure(capture: Capture) -> float:
    """The 330 Hz level once the layer gain's 50 ms glide is over."""
    capture.record(0.5)  # let the change land and the gain settle
    return tone_level(capture.record(1.5), 330.0)


def changes(values: list[float]) -> list[float]:
    """Values without repeats: the MIDI process and the control process both send a
    performer's move (the second to hold it against the body), and both are logged."""
    return [v for i, v in enumerate(values) if i == 0 or v != values[i - 1]]


def test_a_missing_controller_is_named_with_the_ports_that_are_there(tmp_path: Path) -> None:
    import rtmidi

    with jack_server():
        other = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name="keys")
        other.open_virtual_port("Some Keyboard MIDI 1")
        try:
            show = LiveShow(PADS, PADS_PROFILE, tmp_path / "show.session")
            code = show.proc.wait(120)  # it ends by itself, with a message
            show.stop()  # collects the rest of its output
        finally:
            other.close_port()
    assert code == 2, show.output[-2000:]
    assert "no MIDI input port matching 'TestPads'" in show.output
    assert "keys:Some Keyboard MIDI 1" in show.output  # what is there, to pick from
