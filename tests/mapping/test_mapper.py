"""Mappings: normalise, invert, curve, scale, hold, smooth."""

import numpy as np
import pytest

from symphony.mapping.mapper import Hold, OnePole, map_value


def test_map_value_scales_clamps_and_inverts() -> None:
    x = np.array([50.0, 75.0, 100.0, 200.0, np.nan])
    out = map_value(x, (50.0, 100.0), (0.0, 10.0))
    np.testing.assert_array_equal(out[:4], [0.0, 5.0, 10.0, 10.0])
    assert np.isnan(out[4])
    inv = map_value(x, (50.0, 100.0), (0.0, 10.0), invert=True)
    np.testing.assert_array_equal(inv[:4], [10.0, 5.0, 0.0, 0.0])


def test_map_value_accepts_a_falling_input_range() -> None:
    out = map_value(np.array([100.0, 50.0]), (100.0, 50.0), (0.0, 1.0))
    np.testing.assert_array_equal(out, [0.0, 1.0])


def test_hold_fills_gaps_with_the_last_good_value_across_calls() -> None:
    h = Hold()
    first = h(np.array([np.nan, 1.0, np.inf, 2.0]))
    assert np.isnan(first[0])
    np.testing.assert_array_equal(first[1:], [1.0, 1.0, 2.0])
    np.testing.assert_array_equal(h(np.array([np.nan, -np.inf])), [2.0, 2.0])


def test_one_pole_matches_its_closed_form_step_response() -> None:
    rate, tau = 50.0, 0.5
    f = OnePole(tau, rate)
    x = np.concatenate([np.zeros(10), np.ones(200)])
    y = f(x)
    k = np.arange(1, 201)
    a = np.exp(-1.0 / (tau * rate))
    np.testing.assert_allclose(y[10:], 1.0 - a**k, rtol=1e-12)


def test_one_pole_is_chunk_invariant_and_starts_at_the_first_value() -> None:
    rng = np.random.default_rng(3)
    x = np.concatenate([[np.nan] * 5, 60 + rng.normal(size=500)])
    whole = OnePole(1.0, 50.0)(Hold()(x))
    f, h = OnePole(1.0, 50.0), Hold()
    parts = []
    i = 0
    while i < x.size:
        n = int(rng.integers(1, 17))
        parts.append(f(h(x[i : i + n])))
        i += n
    chunked = np.concatenate(parts)
    np.testing.assert_array_equal(np.isnan(whole), np.isnan(chunked))
    np.testing.assert_allclose(whole[5:], chunked[5:], rtol=0, atol=1e-12)
    assert whole[5] == pytest.approx(x[5])  # no glide up from zero
