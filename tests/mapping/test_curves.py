"""Curves against their closed forms, and their inverses."""

import math

import numpy as np
import pytest

from symphony.mapping.curves import CURVES, from_range, shape, to_range, unshape


@pytest.mark.parametrize("curve", CURVES)
def test_shape_fixes_the_ends_and_is_monotonic(curve: str) -> None:
    u = np.linspace(0.0, 1.0, 1001)
    s = shape(u, curve)  # type: ignore[arg-type]
    assert s[0] == pytest.approx(0.0, abs=1e-12)
    assert s[-1] == pytest.approx(1.0, abs=1e-12)
    assert np.all(np.diff(s) > 0)


@pytest.mark.parametrize("curve", CURVES)
def test_unshape_inverts_shape(curve: str) -> None:
    u = np.linspace(0.0, 1.0, 257)
    np.testing.assert_allclose(unshape(shape(u, curve), curve), u, atol=1e-9)  # type: ignore[arg-type]


def test_exp_on_a_positive_range_is_geometric() -> None:
    # Halfway between 100 Hz and 1600 Hz in equal ratios is 400 Hz (two octaves each side).
    assert to_range(0.5, 100.0, 1600.0, "exp") == pytest.approx(400.0)
    assert from_range(400.0, 100.0, 1600.0, "exp") == pytest.approx(0.5)


def test_exp_on_a_range_through_zero_uses_the_shape() -> None:
    k = 4.0
    expected = -1.0 + 2.0 * math.expm1(k * 0.5) / math.expm1(k)
    assert to_range(0.5, -1.0, 1.0, "exp") == pytest.approx(expected)


def test_scurve_closed_form() -> None:
    assert to_range(0.25, 0.0, 10.0, "scurve") == pytest.approx(10 * (3 * 0.0625 - 2 * 0.015625))


def test_positions_are_clamped() -> None:
    assert to_range(-3.0, 2.0, 4.0, "linear") == 2.0
    assert to_range(7.0, 2.0, 4.0, "linear") == 4.0
    assert from_range(100.0, 2.0, 4.0, "log") == 1.0
    assert from_range(-100.0, 2.0, 4.0, "exp") == 0.0


@pytest.mark.parametrize("curve", CURVES)
def test_range_round_trip_on_arrays(curve: str) -> None:
    u = np.linspace(0, 1, 33)
    v = to_range(u, 20.0, 20000.0, curve)  # type: ignore[arg-type]
    np.testing.assert_allclose(from_range(v, 20.0, 20000.0, curve), u, atol=1e-9)  # type: ignore[arg-type]
