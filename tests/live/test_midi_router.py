"""The router's held notes, releases and pickup echoes (pure: no ports, no processes).

The performance and profile are the through-live fixtures (tests/live/fixtures),
so these cases and the JACK tests speak about the same controls.
"""

from __future__ import annotations

import math

import pytest

from symphony.live.midi_router import ECHO_WAIT, Command, EngineChange, Router
from symphony.live.show_state import NO_SCENE, ShowBoard, board_size
from symphony.mapping.layout import ControlLayout
from symphony.midi.feedback import LedDriver, LedFeedback
from symphony.midi.messages import ControlChange, NoteOff, NoteOn
from symphony.midi.profiles import load_profile, parse_profile
from symphony.performance.loader import load_performance
from tests.live.show import PADS, PADS_PROFILE

PERFORMANCE = load_performance(PADS)
LAYOUT = ControlLayout(PERFORMANCE.spec, PERFORMANCE.patches)
PROFILE = load_profile(PADS_PROFILE)
PAD_GAIN = LAYOUT.index("pad.gain_db")
TONE_GAIN = LAYOUT.index("tone.gain_db")


class Published:
    """What the control process would publish: a position per target, set by hand."""

    def __init__(self) -> None:
        self.positions = [math.nan] * len(LAYOUT)
        self.now = 0.0

    def __call__(self, target: int) -> float:
        return self.positions[target]

    def clock(self) -> float:
        return self.now


def router(published: Published | None = None) -> Router:
    published = published or Published()
    return Router(PROFILE, LAYOUT, published, published.clock)


def test_a_gate_opens_at_the_velocity_and_its_note_off_fades_it_out() -> None:
    r = router()
    changes, commands = r.route(NoteOn(1, 36, 127))
    assert changes == [EngineChange(PAD_GAIN, 0.0)]
    assert commands == [Command("hold", "pad", PAD_GAIN, 0.0)]
    changes, _ = r.route(NoteOff(1, 36))
    assert changes == [EngineChange(PAD_GAIN, -80.0)]  # the layer gain's glide is the fade
    changes, _ = r.route(NoteOn(1, 36, 64))
    assert changes == [EngineChange(PAD_GAIN, pytest.approx(-80.0 + 80.0 * 64 / 127))]
    assert r.route(NoteOff(1, 36)) == (
        [EngineChange(PAD_GAIN, -80.0)],
        [Command("hold", "pad", PAD_GAIN, -80.0)],
    )
    assert r.route(NoteOff(1, 36)) == ([], [])  # a second note-off releases nothing


def test_release_all_lets_go_of_held_notes_only() -> None:
    r = router()
    assert r.release_all() == ([], [])
    r.route(NoteOn(1, 36, 100))
    changes, commands = r.release_all()
    assert changes == [EngineChange(PAD_GAIN, -80.0)]
    assert commands == [Command("hold", "pad", PAD_GAIN, -80.0)]
    assert r.release_all() == ([], [])  # released once, not again
    # The note-off that arrives after a reconnect changes nothing either.
    assert r.route(NoteOff(1, 36)) == ([], [])


MOMENTARY = """\
[controller]
name = "m"
port = "m"

[controls]
hold = { kind = "button", message = "cc", number = 5 }
toggle = { kind = "button", message = "cc", number = 6 }
pad = { kind = "pad", message = "note", number = 40 }
ghost = { kind = "fader", message = "cc", number = 7 }

[bindings]
hold = { action = "layer:tone", toggle = false }
toggle = { action = "layer:tone" }
pad = { action = "gate:nowhere" }
ghost = { action = "param:tone.nothing" }
"""


def test_a_momentary_layer_is_held_and_released_on_unplug(tmp_path: object) -> None:
    from pathlib import Path

    profile = parse_profile(MOMENTARY, Path("m.toml"))
    r = Router(profile, LAYOUT, Published())
    assert r.route(ControlChange(1, 5, 127)) == ([], [Command("layer", "tone")])
    assert r.route(ControlChange(1, 5, 127)) == ([], [])  # still down
    assert r.release_all() == ([], [Command("layer", "tone")])
    assert r.route(ControlChange(1, 5, 0)) == ([], [])  # its late release is not a toggle
    # A toggle is not held: nothing to release.
    assert r.route(ControlChange(1, 6, 127)) == ([], [Command("layer", "tone")])
    assert r.release_all() == ([], [])
    # Bindings to what the performance lacks are reported and ignored, never a crash.
    assert len(r.unusable) == 2 and "nowhere" in r.unusable[0] and "tone.nothing" in r.unusable[1]
    assert r.route(NoteOn(1, 40, 100)) == ([], [])
    assert r.route(ControlChange(1, 7, 100)) == ([], [])


def test_pickup_is_not_lost_to_a_published_value_that_lags_the_fader() -> None:
    """The control process publishes positions a frame late: that is not a scene move."""
    published = Published()
    position = LAYOUT.targets[TONE_GAIN].param.to_position
    published.positions[TONE_GAIN] = position(-20.0)  # the middle of the fader's [-40, 0] dB
    profile = parse_profile(
        PADS_PROFILE.read_text().replace('takeover = "jump"', 'takeover = "pickup"'), PADS_PROFILE
    )
    r = Router(profile, LAYOUT, published, published.clock)

    assert r.route(ControlChange(1, 0, 10)) == ([], [])  # below -20 dB: not picked up
    # Cross -20 dB (the fader's middle): engaged.
    changes, _ = r.route(ControlChange(1, 0, 70))
    assert changes and changes[0].value == pytest.approx(-40 + 40 * 70 / 127)
    # The control process has not caught up: it still publishes -20 dB, then a
    # stale -20.1 (lagging scene glide) while the fader goes on.
    published.positions[TONE_GAIN] = position(-20.1)
    changes, _ = r.route(ControlChange(1, 0, 90))
    assert changes and changes[0].value == pytest.approx(-40 + 40 * 90 / 127)
    # Its echo arrives; later, panic-like news (a value we never sent) re-arms pickup.
    published.positions[TONE_GAIN] = position(-40 + 40 * 90 / 127)
    assert r.route(ControlChange(1, 0, 92))[0]
    published.now += ECHO_WAIT + 0.1
    published.positions[TONE_GAIN] = position(-40 + 40 * 92 / 127)
    assert r.route(ControlChange(1, 0, 93))[0]
    published.now += ECHO_WAIT + 0.1
    published.positions[TONE_GAIN] = position(-35.0)  # moved elsewhere
    assert r.route(ControlChange(1, 0, 95)) == ([], [])  # must pick up again


def test_the_show_board_carries_scene_and_layers_to_the_leds() -> None:
    scenes, layers = (
        list(PERFORMANCE.spec.scenes),
        [layer.name for layer in PERFORMANCE.spec.layers],
    )
    array = [0] * board_size(layers)
    writer, reader = ShowBoard(scenes, layers, array), ShowBoard(scenes, layers, array)
    writer.clear()
    assert array[0] == NO_SCENE and reader.read() == (None, frozenset(layers))
    writer.write("b", {"pad"})
    assert reader.read() == ("b", frozenset({"pad"}))
    writer.write("no-such-scene", set())
    assert reader.read() == (None, frozenset())

    sent: list[list[int]] = []
    connected = {"yes": True}

    def send(messages: list[list[int]]) -> int:
        if not connected["yes"]:
            return 0
        sent.extend(messages)
        return len(messages)

    driver = LedDriver(LedFeedback(PROFILE), send, reader.read)
    writer.write("a", {"tone"})
    assert driver.poll() == 3 and sorted(sent) == [[0x90, 1, 127], [0x90, 2, 0], [0x90, 10, 127]]
    assert driver.poll() == 0  # nothing changed, nothing sent
    sent.clear()
    connected["yes"] = False  # unplugged: the change cannot go out ...
    writer.write("b", {"tone"})
    assert driver.poll() == 0
    connected["yes"] = True  # ... so it goes out, with everything else, once it can
    assert driver.poll() == 3 and sorted(sent) == [[0x90, 1, 0], [0x90, 2, 127], [0x90, 10, 127]]
    sent.clear()
    driver.request_refresh()  # the device came back: all its LEDs are resent
    assert driver.poll() == 3
