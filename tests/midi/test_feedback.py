"""LED feedback: only changes are sent, and a refresh resends everything."""

from __future__ import annotations

from pathlib import Path

import pytest

from symphony.midi.feedback import LedFeedback, desired_leds, led_message
from symphony.midi.messages import MidiParser
from symphony.midi.profiles import address_of, factory_profiles, load_profile, parse_profile

PROFILE = """\
[controller]
name = "Test"
port = "test"

[controls]
a = { kind = "button", message = "note", number = 1, led = { message = "note", number = 1 } }
b = { kind = "button", message = "note", number = 2, led = { message = "note", number = 2 } }
m = { kind = "button", message = "cc", channel = 2, number = 41, led = { message = "cc", \
channel = 2, number = 41, on = 100, off = 5 } }
p = { kind = "button", message = "note", number = 9, led = { message = "note", number = 9 } }
q = { kind = "button", message = "note", number = 10 }

[bindings]
a = { action = "scene:one" }
b = { action = "scene:two" }
m = { action = "layer:drone" }
p = { action = "panic" }
q = { action = "scene:three" }
"""


def test_only_changes_are_sent(tmp_path: Path) -> None:
    feedback = LedFeedback(parse_profile(PROFILE, tmp_path / "p.toml"))
    first = feedback.update("one", {"drone"})
    assert sorted(first) == sorted([[0x90, 1, 127], [0x90, 2, 0], [0xB1, 41, 100], [0x90, 9, 0]])
    assert feedback.update("one", {"drone"}) == []
    assert feedback.update("two", {"drone"}) == [[0x90, 1, 0], [0x90, 2, 127]]
    assert feedback.update("two", set()) == [[0xB1, 41, 5]]
    assert feedback.update("three", set()) == [[0x90, 2, 0]]  # scene three has no LED
    feedback.refresh()
    assert len(feedback.update("three", set())) == 4


def test_factory_profiles_light_scenes_and_layers() -> None:
    lit_somewhere = 0
    for path in factory_profiles():
        profile = load_profile(path)
        state = desired_leds(profile, "gathering", {"drone", "mosaic"})
        lit_somewhere += sum(state.values())
        bound_scenes = [
            n
            for n, b in profile.spec.bindings.items()
            if b.action == "scene:gathering" and profile.controls[n].led is not None
        ]
        assert all(state[n] for n in bound_scenes)
    assert lit_somewhere > 0


# What each factory device can light from the host (see each profile's header).
HOST_LIT = {
    "korg-nanokontrol2": True,  # external LED mode: CC back, 127/0
    "akai-midimix": True,  # note-on back to mute / rec arm / bank keys
    "novation-launch-control-xl": True,  # note-on velocity = colour
    "arturia-beatstep": False,  # pad LEDs by SysEx only
    "akai-mpk-mini": False,  # pads light from their own presses only
}


@pytest.mark.parametrize("path", factory_profiles(), ids=lambda p: p.stem)
def test_factory_led_messages_are_well_formed(path: Path) -> None:
    profile = load_profile(path)
    assert "LED feedback:" in path.read_text(), "the header must say what the device can light"
    leds = {name: c.led for name, c in profile.controls.items() if c.led is not None}
    assert bool(leds) is HOST_LIT[path.stem]
    parser = MidiParser(profile.parser_config())
    for name, led in leds.items():
        assert led.on != led.off, name
        for lit in (True, False):
            message = led_message(led, lit)
            assert len(message) == 3 and 0x80 <= message[0] <= 0xEF, (name, message)
            assert all(0 <= b <= 127 for b in message[1:]), (name, message)
            # The device reads it as a message to the control's own address.
            events = parser.parse(message)
            assert len(events) == 1, (name, message)
            control = profile.controls[name]
            assert address_of(events[0]) == (led.message, led.channel, led.number)
            assert (led.message, led.channel, led.number) == control.address, name
    if HOST_LIT[path.stem]:
        # The demo bindings light scenes and layers on this device.
        verbs = {b.verb for n, b in profile.spec.bindings.items() if n in leds}
        assert {"scene", "layer"} <= verbs


def test_launch_control_xl_colours_are_its_velocity_codes() -> None:
    """Launch Control XL mk1: velocity = 16 * green + red + 12 (flags), green/red 0..3."""
    path = next(p for p in factory_profiles() if p.stem == "novation-launch-control-xl")
    profile = load_profile(path)
    colours = {16 * g + r + 12 for g in range(4) for r in range(4)}
    for name, control in profile.controls.items():
        led = control.led
        if led is None:
            continue
        if name in ("device", "mute", "solo", "record_arm") or led.message == "cc":
            assert (led.on, led.off) == (127, 0), name  # single-colour keys
        else:
            assert led.on in colours and led.off in colours, name
            assert led.off == 12  # 12 = off with both flags: no flicker on update
