"""Pickup, value scaling and arbitration against closed-form expectations."""

from __future__ import annotations

from itertools import pairwise

import pytest

from symphony.engine.params import Param
from symphony.midi.takeover import Arbiter, Jump, Pickup, ValueScaling, arbitrate, make_takeover


def test_pickup_ignores_the_fader_until_it_crosses_the_value() -> None:
    pickup = Pickup(0.6)
    assert pickup.direction(0.1) == 1  # move up to pick it up
    assert [pickup.move(p) for p in (0.1, 0.3, 0.5)] == [None, None, None]
    assert pickup.move(0.65) == 0.65  # crossed 0.6 between 0.5 and 0.65
    assert pickup.engaged and pickup.direction(0.65) == 0
    assert pickup.move(0.2) == 0.2  # once engaged it follows


def test_pickup_from_above_and_on_the_value() -> None:
    pickup = Pickup(0.3)
    assert pickup.direction(0.9) == -1
    assert pickup.move(0.9) is None
    assert pickup.move(0.2) == 0.2
    exact = Pickup(0.5)
    assert exact.move(0.5 + 0.5 / 127) == pytest.approx(0.5 + 0.5 / 127)  # within one step


def test_pickup_lets_go_when_the_parameter_moves_elsewhere() -> None:
    pickup = Pickup(0.5)
    pickup.move(0.5)
    assert pickup.engaged
    pickup.set_value(0.8)  # a scene change moved the parameter
    assert not pickup.engaged
    assert pickup.move(0.55) is None
    assert pickup.direction(0.55) == 1
    assert pickup.move(0.81) == 0.81


def test_value_scaling_matches_the_closed_form_and_converges() -> None:
    v0, p0 = 0.2, 0.6  # parameter below the fader
    scaling = ValueScaling(v0)
    assert scaling.move(p0) == v0  # first touch: no direction, no change
    for p in (0.7, 0.8, 0.9):
        expected = 1.0 - (1.0 - v0) * (1.0 - p) / (1.0 - p0)
        assert scaling.move(p) == pytest.approx(expected)
    assert scaling.move(1.0) == pytest.approx(1.0)  # met at the end of travel
    assert scaling.move(0.4) == pytest.approx(0.4)  # and locked together after


def test_value_scaling_down_is_proportional() -> None:
    v0, p0 = 0.3, 0.9
    scaling = ValueScaling(v0)
    scaling.move(p0)
    values = [scaling.move(p) for p in (0.6, 0.3, 0.0)]
    assert values == pytest.approx([v0 * 0.6 / p0, v0 * 0.3 / p0, 0.0])


def test_value_scaling_moves_with_the_fader_never_against_it() -> None:
    scaling = ValueScaling(0.8)
    sequence = [0.1, 0.2, 0.15, 0.3, 0.25, 0.5, 0.9, 1.0]
    values = [scaling.move(p) for p in sequence]
    for (a, b), (va, vb) in zip(pairwise(sequence), pairwise(values), strict=True):
        assert (vb - va) * (b - a) >= 0
    assert values[-1] == pytest.approx(1.0)


def test_jump_and_factory() -> None:
    jump = make_takeover("jump", 0.5)
    assert isinstance(jump, Jump) and jump.move(0.1) == 0.1
    assert isinstance(make_takeover("pickup", 0.5), Pickup)
    assert isinstance(make_takeover("scale", 0.5), ValueScaling)
    with pytest.raises(ValueError):
        make_takeover("grab", 0.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("mode", "body", "performer", "mix", "expected"),
    [
        ("biosignal", 0.3, 0.9, 0.0, 0.3),
        ("performer", 0.3, 0.9, 0.0, 0.9),
        ("performer", 0.3, None, 0.0, 0.3),  # untouched: the body holds it
        ("offset", 0.3, 0.5, 0.0, 0.3),  # fader centre: no shift
        ("offset", 0.3, 0.7, 0.0, 0.5),
        ("offset", 0.9, 1.0, 0.0, 1.0),  # clamped
        ("crossfade", 0.2, 0.8, 0.0, 0.2),
        ("crossfade", 0.2, 0.8, 0.25, 0.35),
        ("crossfade", 0.2, 0.8, 1.0, 0.8),
    ],
)
def test_arbitration_closed_forms(
    mode: str, body: float, performer: float | None, mix: float, expected: float
) -> None:
    assert arbitrate(mode, body, performer, mix) == pytest.approx(expected)  # type: ignore[arg-type]


def test_arbiter_through_a_param_curve() -> None:
    density = Param("density", 1.0, 48.0, 6.0, curve="exp")
    arbiter = Arbiter("crossfade", body=0.0, performer=1.0, mix=0.5)
    # Position 0.5 on an exp range is the geometric mean of its ends.
    assert density.from_position(arbiter.position()) == pytest.approx((1.0 * 48.0) ** 0.5)
    offset = Arbiter("offset", body=0.4)
    assert offset.performer_target() == 0.5
    performer = Arbiter("performer", body=0.4)
    assert performer.performer_target() == 0.4  # pick up where the sound is


def test_pickup_on_top_of_the_body_in_offset_mode() -> None:
    """The whole chain: a fader picks up the offset, then shifts the body's value."""
    arbiter = Arbiter("offset", body=0.6, depth=1.0)
    pickup = Pickup(arbiter.performer_target())
    for fader in (0.0, 0.2, 0.45):
        moved = pickup.move(fader)
        assert moved is None
        assert arbiter.position() == 0.6
    for fader, expected in ((0.55, 0.65), (0.7, 0.8)):
        moved = pickup.move(fader)
        assert moved is not None
        arbiter.performer = moved
        assert arbiter.position() == pytest.approx(expected)
    arbiter.body = 0.2  # the room calms: the offset rides on top
    assert arbiter.position() == pytest.approx(0.4)
