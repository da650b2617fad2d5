"""Performer against body, and macros, through the whole `symphony live` on JACK MIDI.

tests/live/fixtures/room.toml has the body hold tone.amp at 0.2 and pad.amp at
0.3 (a mapping from the room's heart rate that clamps); the controller
(room-controller.toml, played by the `Pads` JACK client) has a knob on
tone.amp with ``offset`` arbitration, a knob on pad.amp with ``crossfade`` and
its ``mix`` fader, and faders and a knob on three macros (crossfade, set with
pickup, offset). What the engine applied is read from the session log; the
expected values are the arbitration's closed forms (midi/takeover.py) on the
body's known positions.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from symphony.mapping.layout import ControlLayout
from symphony.performance.loader import load_performance
from symphony.session.log import read_session
from tests.jack_server import jack_server
from tests.live.show import LiveShow, Pads

pytest.importorskip("rtmidi")

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOM = FIXTURES / "room.toml"
PROFILE = FIXTURES / "room-controller.toml"
PERF = load_performance(ROOM)
LAYOUT = ControlLayout(PERF.spec, PERF.patches)


def applied(log: Path, name: str) -> list[float]:
    target = LAYOUT.index(name)
    try:
        schedule = read_session(log).schedule
    except Exception:  # the writer may be mid-record; try again
        return []
    return [float(v) for t, v in zip(schedule.targets, schedule.values, strict=True) if t == target]


def reached(log: Path, name: str, value: float) -> bool:
    return any(abs(v - value) < 1e-6 for v in applied(log, name))


def after(values: list[float], body: float) -> list[float]:
    """The values applied once the body had reached `body`, other than `body` itself."""
    start = next(i for i, v in enumerate(values) if abs(v - body) < 1e-6)
    return [v for v in values[start:] if abs(v - body) > 1e-6]


def test_offset_crossfade_and_macros_against_the_body_on_jack_midi(tmp_path: Path) -> None:
    log = tmp_path / "show.session"
    p = LAYOUT.targets[LAYOUT.index("tone.gain_db")].param
    m = 64 / 127
    expected = {
        # offset: the body's 0.2 shifted by the knob's (102/127 - 0.5)
        "tone.amp": 0.2 + (102 / 127 - 0.5),
        # crossfade: (1 - mix) * body + mix * performer, in positions (amp is linear 0..1)
        "pad.amp": (1 - m) * 0.3 + m * (100 / 127),
        # crossfade macro at 64: from the show's -6 dB towards -30 dB
        "tone.gain_db": p.from_position((1 - m) * p.to_position(-6.0) + m * p.to_position(-30.0)),
    }
    with jack_server():
        pads = Pads()
        show = LiveShow(ROOM, PROFILE, log)
        try:
            show.wait_started()
            show.wait_for(lambda: reached(log, "tone.amp", 0.2), "the body to hold tone.amp at 0.2")
            show.wait_for(lambda: reached(log, "pad.amp", 0.3), "the body to hold pad.amp at 0.3")
            pads.send([0xB0, 16, 102])  # offset knob
            show.wait_for(lambda: reached(log, "tone.amp", expected["tone.amp"]), "the offset")
            pads.send([0xB0, 17, 100])  # the performer's pad.amp: mix still 0, body holds
            pads.send([0xB0, 1, 64])  # mix halfway
            show.wait_for(lambda: reached(log, "pad.amp", expected["pad.amp"]), "the crossfade")
            pads.send([0xB0, 2, 64])  # crossfade macro halfway
            show.wait_for(
                lambda: reached(log, "tone.gain_db", expected["tone.gain_db"]), "the blend macro"
            )
            pads.send([0xB0, 2, 127])
            show.wait_for(lambda: reached(log, "pad.gain_db", 0.0), "the blend macro at 1")
            pads.send([0xB0, 3, 64], gap=0.0)  # set macro, not picked up yet (tone at 330 Hz)
            pads.send([0xB0, 3, 0], [0xB0, 3, 127], gap=0.1)  # picked up at 0, then all the way
            show.wait_for(lambda: reached(log, "pad.freq", 880.0), "the pitch macro")
            pads.send([0xB0, 18, 0])  # offset macro: the master 10 dB down (span 20 dB)
            show.wait_for(lambda: reached(log, "master.gain_db", -10.0), "the shift macro")
        finally:
            code = show.stop()
            print(show.output)
            pads.close()
    assert code == 0, show.output[-3000:]
    # Before the knob: the scene's 0.5, gliding to the body's 0.2 as the room fades
    # in (the mapping's depth follows the room's presence); then exactly the offset.
    moved = after(applied(log, "tone.amp"), 0.2)
    assert moved and all(v == pytest.approx(expected["tone.amp"]) for v in moved), moved
    pad = after(applied(log, "pad.amp"), 0.3)
    assert pad and all(v == pytest.approx(expected["pad.amp"]) for v in pad), pad
    assert applied(log, "tone.gain_db")[-1] == pytest.approx(-30.0)
    freqs = [v for v in applied(log, "tone.freq") if abs(v - 330.0) > 1e-6]
    assert freqs and freqs[0] == pytest.approx(440.0), freqs  # the move to 64 did nothing
    assert applied(log, "pad.freq")[-1] == pytest.approx(880.0)
