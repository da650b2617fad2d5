"""Held notes, hot-plug and floods through the whole `symphony live` command.

Real parts throughout: a jackd dummy server, `symphony live` in a subprocess
(engine, control and MIDI processes), the controller as a separate JACK
client (tests/live/show.py `Pads`), symphony's audio captured from its JACK
output ports. The pad is a held note (``gate:pad``): the 660 Hz layer sounds
while it is down and fades out when it is let go, or when the controller is
unplugged while it is down.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from symphony.mapping.layout import ControlLayout
from symphony.performance.loader import load_performance
from symphony.session.log import read_session
from tests.jack_server import Capture, jack_server
from tests.live.show import PADS, PADS_PROFILE, LiveShow, Pads, tone_level

pytest.importorskip("rtmidi")

OUTS = ["symphony:out_1", "symphony:out_2"]
FIRST_LEDS = {1: True, 2: False, 10: True}  # scene a (timeline), tone layer on
HOT_PLUG_BOUND = 2.0  # seconds: the promise for noticing an unplugged controller


def applied(log: Path, name: str) -> list[float]:
    perf = load_performance(PADS)
    target = ControlLayout(perf.spec, perf.patches).index(name)
    schedule = read_session(log).schedule
    values = [
        float(v) for t, v in zip(schedule.targets, schedule.values, strict=True) if t == target
    ]
    return [v for i, v in enumerate(values) if i == 0 or v != values[i - 1]]


def test_unplug_fades_held_notes_and_the_controller_comes_back(tmp_path: Path) -> None:
    log = tmp_path / "show.session"
    with jack_server() as server:
        pads = Pads()
        show = LiveShow(PADS, PADS_PROFILE, log)
        capture = None
        try:
            show.wait_started()
            show.wait_for(lambda: pads.lit() == FIRST_LEDS, "the first LED state")
            capture = Capture(server, OUTS)
            pads.send([0x90, 36, 127])  # hold the pad: the 660 Hz layer opens at 0 dB
            capture.record(0.5)  # the gate's glide
            held_capture = capture.record(1.0)  # steady: both layers sound

            pads.unplug()  # the pad is still down
            show.wait_for(lambda: show.said("is gone"), "the unplug to be noticed", HOT_PLUG_BOUND)
            capture.record(0.2)  # the fade (50 ms) and the queue to the engine
            after = capture.record(0.5)  # after the release

            pads.clear_leds()
            pads.plug()  # the same names come back
            show.wait_for(lambda: pads.lit() == FIRST_LEDS, "every LED resent after the return")
            pads.clear_leds()
            pads.press(2)  # the controller works again: scene b, and its LEDs
            show.wait_for(lambda: pads.lit() == {1: False, 2: True}, "the scene LEDs after return")
            pads.press(36, velocity=64)  # and the pad: a short note this time
            show.wait_for(lambda: len(applied_safe(log, "pad.gain_db")) >= 4, "the second pad note")
        finally:
            code = show.stop()
            print(show.output)  # shown by pytest when the test fails
            if capture is not None:
                capture.close()
            pads.close()
    assert code == 0, show.output[-3000:]
    assert "1 held control(s) released with a fade" in show.output

    # The pad's gain: opened at 0 dB, faded to -80 dB on unplug, then a new note at
    # velocity 64 (-80 + 80 * 64/127 dB) and its note-off.
    gains = applied(log, "pad.gain_db")
    second = -80.0 + 80.0 * 64 / 127
    assert in_order(gains, [0.0, -80.0, second, -80.0]), gains
    assert gains[-1] == -80.0  # nothing left open
    # (Known race, for the lead: the control process re-sends each held value a frame
    # later; a copy that lands after the next note-off re-opens the gate for that frame,
    # so `gains` may read [..., second, -80, second, -80].)

    # On the audio: the held note sounded, then was gone; the tone layer never stopped.
    assert tone_level(held_capture, 660.0) > 0.2
    assert tone_level(after, 660.0) < tone_level(held_capture, 660.0) * 1e-3  # > 60 dB down
    tone_before, tone_after = tone_level(held_capture, 330.0), tone_level(after, 330.0)
    assert tone_after == pytest.approx(tone_before, rel=0.05)
    # That the release is a fade and not a click is measured offline, where the
    # dummy driver's xruns cannot cut the audio (tests/live/test_gate_fade.py).


def in_order(values: list[float], wanted: list[float]) -> bool:
    """Whether `wanted` appears in `values` in this order (other values between)."""
    it = iter(values)
    return all(any(abs(v - w) < 1e-6 for v in it) for w in wanted)


def applied_safe(log: Path, name: str) -> list[float]:
    try:
        return applied(log, name)
    except Exception:  # the log is being written: try again
        return []


SYSEX = [0xF0, 0x42, 0x40, 0x00, 0x01, 0x13, 0x00, *range(20), 0xF7]
CLOCK = [0xF8]
SENSING = [0xFE]


def test_a_flood_is_counted_harmless_and_leaves_no_stuck_note(tmp_path: Path) -> None:
    log = tmp_path / "show.session"
    bursts = 60
    with jack_server():
        pads = Pads()
        show = LiveShow(PADS, PADS_PROFILE, log)
        try:
            show.wait_started()
            show.wait_for(lambda: pads.lit() == FIRST_LEDS, "the first LED state")
            pads.send([0x90, 36, 127])  # a held note, let go in the middle of the flood
            for burst in range(bursts):
                flood = [[0xB0, 0, (burst + i) % 128] for i in range(40)]
                pads.send(*[m for cc in flood for m in (SYSEX, CLOCK, SENSING, cc)])
                if burst == bursts // 2:
                    # The sender (rtmidi's JACK ring buffer, 16 KB) drops what does not
                    # fit: give the note-off room, so a lost note-off is symphony's fault.
                    time.sleep(0.1)
                    pads.send([0x80, 36, 0])
                time.sleep(0.005)
            flood_end = read_session(log).blocks_played
            # The show keeps playing and logging after the flood.
            show.wait_for(
                lambda: read_session(log).blocks_played > flood_end + 200, "the log to go on"
            )
        finally:
            code = show.stop()
            print(show.output)  # shown by pytest when the test fails
            pads.close()
    assert code == 0, show.output[-3000:]
    summary = next(line for line in show.lines if line.startswith("symphony midi:"))
    said = [part.rsplit(" ", 1) for part in summary.split(": ", 2)[2].split(", ")]
    counts = {kind: int(n) for kind, n in said}
    sent = bursts * 40
    # Counted, and most of it arrives: the MIDI process reads rtmidi's queue, so a
    # Python thread busy with the flood never makes its JACK client miss a cycle
    # (reading in rtmidi's callback instead, about a quarter arrived here, and a
    # note-off was lost). What is lost now is lost by the sending client, whose
    # 16 KB ring buffer overflows when the loaded machine stalls its JACK cycle.
    for kind in ("sysex", "clock", "active sensing"):
        assert counts[kind] >= 0.5 * sent, summary
    assert counts["channel"] >= 0.5 * sent, summary
    # (No upper bound: under load a few more clock bytes than were sent have been
    # counted here once, from the JACK MIDI stream itself.)
    assert counts["dropped"] == 0, summary  # 40 CCs per burst stay under the per-block bound
    # No stuck note: the pad opened, and its note-off closed it during the flood.
    assert applied(log, "pad.gain_db")[-2:] == [0.0, -80.0], summary
