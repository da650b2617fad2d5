"""From the room as heard (`Presence`) to the engine changes of every person's voice."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from symphony.collective.voicing import Presence, RoomVoices, voice_values
from symphony.engine.patch import load_patch
from symphony.mapping.layout import ControlLayout
from symphony.performance.schema import PerformanceSpec

PATCHES = Path(__file__).resolve().parents[1] / "fixtures" / "patches"


def room(count: int = 2, **voices: object) -> tuple[PerformanceSpec, ControlLayout]:
    spec = PerformanceSpec.model_validate(
        {
            "performance": {"duration": 10},
            "output": {"channels": 8},
            "layers": [
                {"name": "x", "patch": "people"},
                {"name": "t", "patch": "tone"},
            ],
            "triggers": [{"target": "t.ping"}],
            "participants": {"voices": 2},
            "voices": [
                {
                    "target": "x.tone",
                    "count": count,
                    "fade": 1.0,
                    "params": {
                        "freq": {
                            "source": "heart_rate",
                            "in_range": [60, 120],
                            "out_range": [200, 400],
                        }
                    },
                    **voices,
                }
            ],
        }
    )
    patches = {"x": load_patch(PATCHES / "people.py"), "t": load_patch(PATCHES / "tone.py")}
    return spec, ControlLayout(spec, patches)


def person(name: str, seat: float, hr: float = 90.0, gain: float = 1.0) -> Presence:
    return Presence(name, gain, seat, {"heart_rate": hr}, record=True)


def test_layout_appends_voice_targets_after_everything_else() -> None:
    _spec, layout = room()
    names = [t.name for t in layout.targets]
    first = names.index("x.tone#0.level")
    assert names[first:] == [
        "x.tone#0.level", "x.tone#0.seat", "x.tone#0.freq", "x.tone#0.depth",
        "x.tone#1.level", "x.tone#1.seat", "x.tone#1.freq", "x.tone#1.depth",
    ]  # fmt: skip
    assert all(not n.startswith("x.tone#") for n in names[:first])
    assert "x.tone#0.level" not in [t.name for t in layout.continuous()]


def test_each_voice_plays_its_owner_at_their_seat_with_their_features() -> None:
    spec, layout = room()
    voices = RoomVoices(spec, layout)
    changes = voices.update(0.0, [person("a", 0.0, hr=60), person("b", 0.5, hr=120)])
    by_name = {layout.targets[t].name: (v, who) for t, v, who in changes}
    assert by_name["x.tone#0.seat"] == (0.0, "a")
    assert by_name["x.tone#0.freq"] == (pytest.approx(200.0), "a")
    assert by_name["x.tone#1.freq"] == (pytest.approx(400.0), "b")
    assert by_name["x.tone#1.level"] == (1.0, "b")
    # Seats come before levels: a voice moves while it is still silent.
    order = [layout.targets[t].name for t, _, _ in changes]
    assert order.index("x.tone#0.seat") < order.index("x.tone#0.level")
    # Changes only: the same room again sends nothing.
    assert voices.update(0.04, [person("a", 0.0, hr=60), person("b", 0.5, hr=120)]) == []


def test_a_person_who_fades_or_leaves_takes_their_voice_down_not_off() -> None:
    spec, layout = room()
    voices = RoomVoices(spec, layout)
    voices.update(0.0, [person("a", 0.0), person("b", 0.5)])
    fading = voices.update(0.04, [person("a", 0.0, gain=0.4), person("b", 0.5)])
    assert [(layout.targets[t].name, v) for t, v, _ in fading] == [("x.tone#0.level", 0.4)]
    gone = voices.update(0.08, [person("b", 0.5)])
    assert [(layout.targets[t].name, v, who) for t, v, who in gone] == [
        ("x.tone#0.level", 0.0, "a")  # the engine glides it down over the fade
    ]
    assert layout.targets[layout.index("x.tone#0.level")].param.smoothing == 1.0


def test_unknown_features_send_nothing_so_the_engine_holds() -> None:
    spec, layout = room()
    voices = RoomVoices(spec, layout)
    changes = voices.update(0.0, [person("a", 0.25, hr=math.nan)])
    names = [layout.targets[t].name for t, _, _ in changes]
    assert "x.tone#0.freq" not in names and "x.tone#0.level" in names


def test_voice_values_is_pure() -> None:
    spec, layout = room()
    binding = RoomVoices(spec, layout).bindings[0]
    people = [person("a", 0.1), person("b", 0.6)]
    first = voice_values(people, ["b", None], ["b", "a"], binding)
    assert first == voice_values(people, ["b", None], ["b", "a"], binding)
    assert (binding.voices[1].level, 0.0, "a") in first
    assert (binding.voices[0].seat, 0.6, "b") in first


def test_heartbeats_fire_at_the_persons_seat_on_a_shared_voice() -> None:
    spec, layout = room()
    voices = RoomVoices(spec, layout)
    voices.update(0.0, [person("a", 0.0), person("b", 0.5), person("c", 0.25)])
    pings = layout.voices["t.ping"]
    assert voices.beat("t.ping", "c", 0.7) == [
        (pings[0].pan, 0.25, "c"), (pings[0].velocity, 0.7, "c"), (pings[0].fire, 1.0, "c"),
    ]  # fmt: skip
    assert voices.beat("t.ping", "nobody", 0.7) == []


def test_more_people_than_voices_rotate_through_the_voices() -> None:
    spec, layout = room(count=1, rotation=10.0)
    voices = RoomVoices(spec, layout)
    owners = set()
    for k in range(int(40 / 0.04)):
        voices.update(k * 0.04, [person("a", 0.0), person("b", 0.5), person("c", 0.25)])
        owners |= voices.rotations[0].heard()
    assert owners == {"a", "b", "c"}
