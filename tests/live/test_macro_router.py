"""Macros in the MIDI router (pure): what one control's position asks of several targets."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from symphony.live.midi_router import Command, EngineChange, Router
from symphony.mapping.layout import ControlLayout
from symphony.midi.messages import ControlChange
from symphony.midi.profiles import load_profile, parse_profile
from symphony.performance.loader import load_performance

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PERFORMANCE = load_performance(FIXTURES / "room.toml")
LAYOUT = ControlLayout(PERFORMANCE.spec, PERFORMANCE.patches)
PROFILE = load_profile(FIXTURES / "room-controller.toml")


def router(positions: dict[str, float] | None = None) -> Router:
    known = {LAYOUT.index(k): v for k, v in (positions or {}).items()}
    return Router(PROFILE, LAYOUT, lambda t: known.get(t, math.nan), macros=PERFORMANCE.spec.macros)


def test_a_crossfade_macro_blends_every_target_from_the_show_towards_its_value() -> None:
    tone, pad = LAYOUT.index("tone.gain_db"), LAYOUT.index("pad.gain_db")
    changes, commands = router().route(ControlChange(1, 2, 127))
    assert changes == []  # the control process blends, against the show's own value
    to = [LAYOUT.targets[t].param.to_position(v) for t, v in ((tone, -30.0), (pad, 0.0))]
    assert commands == [
        Command("performer", "crossfade", tone, to[0]),
        Command("performer", "crossfade", pad, to[1]),
        Command("mix", "blend", tone, 1.0),
        Command("mix", "blend", pad, 1.0),
    ]


def test_a_set_macro_picks_up_then_moves_every_target_over_its_range() -> None:
    freq, pad = LAYOUT.index("tone.freq"), LAYOUT.index("pad.freq")
    position = LAYOUT.targets[freq].param.to_position(330.0)
    r = router({"tone.freq": position})
    assert r.route(ControlChange(1, 3, 64)) == ([], [])  # not picked up: the tone is at 330
    changes, commands = r.route(ControlChange(1, 3, 0))
    assert changes == [EngineChange(freq, pytest.approx(330.0)), EngineChange(pad, 660.0)]
    changes, commands = r.route(ControlChange(1, 3, 127))
    assert changes == [EngineChange(freq, pytest.approx(440.0)), EngineChange(pad, 880.0)]
    assert commands == [
        Command("hold", "pitch", freq, pytest.approx(440.0)),
        Command("hold", "pitch", pad, 880.0),
    ]


def test_an_offset_macro_shifts_by_each_targets_span() -> None:
    master = LAYOUT.index("master.gain_db")
    changes, commands = router().route(ControlChange(1, 18, 0))
    assert changes == []
    assert commands == [Command("performer", "offset", master, 0.0, pytest.approx(20.0 / 60.0))]


def test_a_macro_the_performance_lacks_is_reported_and_ignored() -> None:
    text = (FIXTURES / "room-controller.toml").read_text().replace("macro:blend", "macro:blnd")
    r = Router(parse_profile(text, Path("x.toml")), LAYOUT, lambda t: math.nan, macros={})
    assert any("no macro 'blnd'" in u for u in r.unusable)
    assert r.route(ControlChange(1, 2, 127)) == ([], [])
