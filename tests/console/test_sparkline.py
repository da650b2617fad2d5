"""Sparklines of known data."""

from __future__ import annotations

import math

from symphony.console.history import History
from symphony.console.sparkline import ASCII, BLOCKS, sparkline


def test_a_ramp_climbs_every_bar() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8) == BLOCKS


def test_fixed_scale_clips_and_places_values() -> None:
    # 40..140 bpm: 90 is the middle (index round(0.5 * 7) = 4), 200 clips to the top.
    line = sparkline([40.0, 90.0, 140.0, 200.0, 10.0], 5, 40.0, 140.0)
    assert line == BLOCKS[0] + BLOCKS[4] + BLOCKS[7] + BLOCKS[7] + BLOCKS[0]


def test_short_series_is_right_aligned_and_gaps_are_blank() -> None:
    line = sparkline([0.0, math.nan, 1.0], 6)
    assert line == "   " + BLOCKS[0] + " " + BLOCKS[7]


def test_only_the_last_values_fit() -> None:
    assert sparkline(list(range(100)), 3) == sparkline([97, 98, 99], 3)
    assert len(sparkline(list(range(100)), 3)) == 3


def test_flat_series_sits_mid_height_and_ascii_fallback() -> None:
    assert sparkline([5.0] * 4, 4) == BLOCKS[3] * 4
    assert sparkline([0, 7], 2, ascii_only=True) == ASCII[0] + ASCII[7]
    assert sparkline([1.0], 0) == ""


def test_history_marks_missing_values_as_gaps() -> None:
    h = History(capacity=4)
    h.add({"a": 1.0})
    h.add({"a": 2.0, "b": 5.0})
    h.add({"b": 6.0})
    a, b = h.get("a"), h.get("b")
    assert a[:2] == [1.0, 2.0] and math.isnan(a[2])
    assert math.isnan(b[0]) and b[1:] == [5.0, 6.0]
    for k in range(10):
        h.add({"a": float(k)})
    assert h.get("a") == [6.0, 7.0, 8.0, 9.0]
