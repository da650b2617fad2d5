"""MIDI learn: detection of control kinds, port filtering, undo, clear, output."""

from __future__ import annotations

from pathlib import Path

import pytest

from symphony.midi.learn import Detected, LearnSession, detect
from symphony.midi.profiles import load_profile

PORT = "nanoKONTROL2:nanoKONTROL2 MIDI 1"


def sweep(cc: int, values: range | list[int], channel: int = 1) -> list[list[int]]:
    return [[0xB0 | (channel - 1), cc, v] for v in values]


def test_detects_an_absolute_fader_and_a_knob() -> None:
    assert detect("fader1", sweep(0, range(10, 40, 3))) == Detected("fader", "cc", 1, 0)
    assert detect("knob3", sweep(18, range(90, 60, -2), 2)) == Detected("knob", "cc", 2, 18)
    assert detect("fader1", sweep(0, [10, 11])) is None  # not enough to tell yet


def test_detects_buttons_and_pads() -> None:
    assert detect("play", sweep(41, [127, 0])) == Detected("button", "cc", 1, 41)
    assert detect("mute", [[0x90, 1, 127], [0x80, 1, 0]]) == Detected("button", "note", 1, 1)
    assert detect("pad1", [[0x99, 36, 87], [0x99, 36, 0]]) == Detected("pad", "note", 10, 36)


@pytest.mark.parametrize(
    ("values", "encoding", "ambiguous"),
    [
        ([65, 65, 66, 65, 63, 63, 62], "offset64", False),
        ([1, 1, 2, 1, 127, 127, 126], "twos_complement", False),
        ([1, 1, 2, 1, 65, 65, 66], "signed_bit", False),
        ([17, 17, 17, 15, 15, 15], "offset16", False),
        ([1, 1, 1, 1, 1], "twos_complement", True),  # one way only: could be signed_bit
    ],
)
def test_detects_relative_encoders(values: list[int], encoding: str, ambiguous: bool) -> None:
    found = detect("encoder1", sweep(20, values))
    assert found == Detected("encoder", "cc", 1, 20, encoding, ambiguous)  # type: ignore[arg-type]


def test_detects_fourteen_bit_pairs_and_nrpn() -> None:
    pairs = [m for v in range(0, 16000, 2000) for m in sweep(1, [v >> 7]) + sweep(33, [v & 127])]
    assert detect("fader9", pairs) == Detected("fader", "cc14", 1, 1)
    nrpn = sweep(99, [1]) + sweep(98, [5]) + sweep(6, [10, 11, 12]) + sweep(38, [0])
    assert detect("knob9", nrpn) == Detected("knob", "nrpn", 1, (1 << 7) | 5)


def test_session_listens_only_to_the_controller_and_walks_the_prompts(tmp_path: Path) -> None:
    session = LearnSession(["fader1", "play", "encoder1"], port="nanokontrol2")
    assert session.instruction() == "move 'fader1' (1/3)"
    # Biosignal bridges, other controllers and clocks are ignored.
    for v in range(0, 60, 5):
        assert session.feed("LSL-bridge:midi", [0xB0, 7, v]) is None
    session.feed(PORT, [0xF8])
    assert session.guess() is None
    for message in sweep(0, range(20, 50, 4)):
        session.feed(PORT, message)
    assert session.accept() == Detected("fader", "cc", 1, 0)
    # Nudging the learned fader while learning the next control changes nothing.
    session.feed(PORT, [0xB0, 0, 60])
    assert session.guess() is None
    with pytest.raises(ValueError):
        session.accept()
    session.feed(PORT, [0xB0, 41, 127])
    session.feed(PORT, [0xB0, 41, 0])
    assert session.accept().kind == "button"
    for message in sweep(16, [65, 65, 65, 63, 63]):
        session.feed(PORT, message)
    assert session.accept().encoding == "offset64"
    assert session.done

    out = tmp_path / "learned.toml"
    session.write(out, "My nano")
    profile = load_profile(out)
    assert profile.spec.controller.port == "nanokontrol2"
    assert set(profile.controls) == {"fader1", "play", "encoder1"}
    assert profile.controls["encoder1"].encoding == "offset64"


def test_undo_and_clear() -> None:
    session = LearnSession(["a", "b"], port="x")
    session.feed("x", [0x90, 1, 127])
    session.accept()
    session.skip()
    assert session.done and set(session.learned) == {"a"}
    session.undo()  # back to the skipped 'b'
    assert session.current == "b"
    session.undo()  # back to 'a', forgetting it
    assert session.current == "a" and session.learned == {}
    session.feed("x", [0x90, 2, 127])
    session.accept()
    session.clear()
    assert session.current == "a" and session.learned == {}
    session.undo()  # nothing to undo: stays put
    assert session.current == "a"


def test_bindings_come_along_for_learned_controls_only(tmp_path: Path) -> None:
    from symphony.midi.profiles import Binding, load_profile

    session = LearnSession(["fader1", "knob1"], "nano")
    for v in (0, 20, 40, 60, 80):
        session.feed("nanoKONTROL2 MIDI 1", [0xB0, 0, v])
    session.accept()
    session.skip()
    bindings = {
        "fader1": Binding(action="param:drone.level", range=(0.1, 0.9), toggle=False),
        "knob1": Binding(action="master"),
    }
    path = tmp_path / "learned.toml"
    session.write(path, 'Nano "K2"', bindings)
    profile = load_profile(path)
    assert profile.spec.controller.name == 'Nano "K2"'
    assert profile.spec.bindings == {"fader1": bindings["fader1"]}
    assert list(profile.controls) == ["fader1"]
