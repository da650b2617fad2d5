"""LED feedback: only changes are sent, and a refresh resends everything."""

from __future__ import annotations

from pathlib import Path

from symphony.midi.feedback import LedFeedback, desired_leds
from symphony.midi.profiles import factory_profiles, load_profile, parse_profile

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
