"""Speaker layouts and pairwise VBAP, as pure functions (the engine test renders them)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symphony.engine.speakers import LayoutError, SpeakerLayout, check_ring, vbap_ring

IRREGULAR = (-30.0, 30.0, 75.0, 120.0, 170.0, -150.0, -110.0, -70.0)


def direction(angles: tuple[float, ...], gains: list[float]) -> float:
    """The angle (degrees, 0..360) the gain-weighted sum of speaker vectors points at."""
    x = sum(g * math.sin(math.radians(a)) for a, g in zip(angles, gains, strict=True))
    y = sum(g * math.cos(math.radians(a)) for a, g in zip(angles, gains, strict=True))
    return math.degrees(math.atan2(x, y)) % 360.0


@pytest.mark.parametrize(
    "layout",
    [
        SpeakerLayout.named("quad", 4),
        SpeakerLayout.named("ring", 8),
        SpeakerLayout.named(None, 8, IRREGULAR),
    ],
    ids=["quad", "ring8", "irregular"],
)
@given(position=st.floats(0.0, 1.0, exclude_max=True))
def test_vbap_is_constant_power_uses_one_pair_and_points_at_the_position(
    layout: SpeakerLayout, position: float
) -> None:
    assert layout.angles is not None
    gains = layout.gains(position)
    assert sum(g * g for g in gains) == pytest.approx(1.0)
    assert all(g >= 0.0 for g in gains)
    assert sum(1 for g in gains if g > 1e-12) <= 2
    # The sum vector points where the position says (0 = front, clockwise).
    error = (direction(layout.angles, gains) - position * 360.0 + 180.0) % 360.0 - 180.0
    assert abs(error) < 1e-6


def test_a_position_on_a_speaker_plays_that_speaker_alone() -> None:
    ring = SpeakerLayout.named("ring", 8)
    for c in range(8):
        gains = ring.gains(c / 8)
        assert gains[c] == pytest.approx(1.0) and sum(gains) == pytest.approx(1.0)
    quad = SpeakerLayout.named("quad", 4)
    assert quad.gains(315 / 360)[0] == pytest.approx(1.0)  # front left is channel 1
    assert quad.gains(0.0)[:2] == pytest.approx([math.sqrt(0.5)] * 2)  # the front: FL + FR


def test_stereo_keeps_the_square_root_law_of_spans() -> None:
    stereo = SpeakerLayout.named("stereo", 2)
    for p in (0.0, 0.25, 0.5, 0.9, 1.0):
        assert stereo.gains(p) == pytest.approx([math.sqrt(1 - p), math.sqrt(p)])
    assert not stereo.is_ring


def test_defaults_and_subsets() -> None:
    assert SpeakerLayout.named(None, 2).angles is None
    assert SpeakerLayout.named(None, 4).angles == (0.0, 90.0, 180.0, 270.0)
    assert SpeakerLayout.named(None, 8).is_even_ring
    assert not SpeakerLayout.named("quad", 4).is_even_ring
    ring = SpeakerLayout.named("ring", 8)
    assert ring.subset([0, 1]).angles is None  # two speakers of a ring: a stereo pair
    assert ring.subset([0, 2, 4, 6]).angles == (0.0, 90.0, 180.0, 270.0)
    with pytest.raises(LayoutError, match="too wide"):
        ring.subset([0, 1, 2])


def test_bad_layouts_are_named() -> None:
    with pytest.raises(LayoutError, match="'quad' is 4 channels"):
        SpeakerLayout.named("quad", 8)
    with pytest.raises(LayoutError, match="3 speaker angles for 4"):
        SpeakerLayout.named(None, 4, [0, 90, 180])
    with pytest.raises(LayoutError, match="too wide"):
        check_ring([0, 10, 20, 30])
    with pytest.raises(LayoutError, match="less than 1 apart"):
        check_ring([0, 0.5, 120, 240])


def test_gain_tables_sample_the_circle() -> None:
    layout = SpeakerLayout.named(None, 8, IRREGULAR)
    tables = layout.gain_tables(512)
    assert len(tables) == 8 and all(len(t) == 512 for t in tables)
    for k in (0, 100, 333, 511):
        assert [t[k] for t in tables] == vbap_ring(IRREGULAR, k / 512)
