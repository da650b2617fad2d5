"""The "why" of a parameter, for known mappings, checked against the conductor."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from symphony.console.explain import Performer, explain, in_charge, mapped_value, number
from symphony.mapping.conductor import Conductor
from symphony.mapping.layout import ControlLayout
from symphony.performance.loader import load_performance
from symphony.performance.schema import MappingSpec

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "performances" / "mini.toml"
HEART = MappingSpec(
    name="heart",
    source="collective.heart_rate",
    target="tone.freq",
    in_range=(50, 100),
    out_range=(200, 800),
    curve="exp",
    smoothing=1.0,
)


def test_a_known_exponential_mapping_is_worded_with_its_numbers() -> None:
    # Halfway through 50..100 bpm on an exponential 200..800 Hz: sqrt(200 * 800) = 400.
    text = explain(410.0, 330.0, [HEART], {"heart_rate": 75.0}, {"heart": 0.5})
    assert text.startswith("scene 330 | ")
    assert text.endswith(
        "heart pulls x0.50: heart_rate 75.0 -> 400 (50.0..100 -> 200..800 exp, smoothed 1.00 s)"
    )


def test_inverted_added_unknown_and_switched_off_mappings() -> None:
    inverted = HEART.model_copy(update={"invert": True, "curve": "linear", "mode": "add"})
    # Inverted: 60 bpm is 0.2 of the range, 0.8 after inversion: 200 + 0.8 * 600 = 680.
    assert mapped_value(inverted, 60.0) == 680.0
    text = explain(0.0, 0.0, [inverted], {"heart_rate": 60.0}, {})
    assert "heart adds x1.00: heart_rate 60.0 -> 680 (50.0..100 -> 200..800 linear inverted" in text
    unknown = explain(0.0, 0.0, [HEART], {}, {})
    assert "heart_rate unknown (value left alone)" in unknown
    off = explain(0.0, 0.0, [HEART], {"heart_rate": 60.0}, {"heart": 0.0})
    assert "heart off in this scene" in off


def test_the_performer_comes_last_and_takes_charge() -> None:
    depths = {"heart": 1.0}
    assert in_charge([HEART], depths, Performer()) == "body"
    assert in_charge([HEART], {"heart": 0.0}, Performer()) == "scene"
    assert in_charge([], depths, Performer()) == "scene"
    held = Performer(held=500.0, held_by="fader1")
    assert explain(500.0, 330.0, [HEART], {}, depths, held).endswith("held 500 by fader1")
    assert in_charge([HEART], depths, held) == "performer"
    shared = Performer(mode="crossfade", position=0.25, mix=0.75)
    assert explain(0.0, 0.0, [], {}, {}, shared).endswith("crossfade: performer 0.25, mix 0.75")
    assert in_charge([HEART], depths, shared) == "shared"
    muted = Performer(muted=True)
    assert explain(-80.0, -6.0, [], {}, {}, muted).endswith("layer muted")
    assert in_charge([], {}, muted) == "muted"


def test_the_explained_value_is_what_the_conductor_plays() -> None:
    perf = load_performance(MINI)
    spec = perf.spec
    mapping = spec.mappings[0].model_copy(update={"smoothing": 0.0})
    spec = spec.model_copy(update={"mappings": [mapping]})
    layout = ControlLayout(spec, perf.patches)
    initial = layout.initial_values(spec, spec.output)
    conductor = Conductor(spec, layout, initial, spec.output.control_rate)
    values = conductor.step(np.array([1.0]), {"heart_rate": np.array([75.0])})
    row = [t.name for t in conductor.targets].index("tone.freq")
    played = float(values[row, 0])  # depth 1 in the first scene: the mapping decides
    assert abs(played - mapped_value(mapping, 75.0)) < 1e-9
    assert number(played) in explain(played, 330.0, [mapping], {"heart_rate": 75.0}, {})


def test_numbers_are_short() -> None:
    assert [number(v) for v in (1234.5, 12.345, 0.12345, -3.0)] == ["1234", "12.3", "0.12", "-3.00"]
    assert number(float("nan")) == "-" and number(float("-inf")) == "-inf"
