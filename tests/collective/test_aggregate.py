"""Collective features: robust, equal, quality-aware; synchrony as a signal."""

import numpy as np
import pytest

from symphony.collective.aggregate import (
    beat_phase,
    circular_stats,
    collective_features,
    quality_weight,
    weighted_median,
)
from symphony.collective.voices import allocate


def test_weighted_median_with_equal_weights_is_numpy_median() -> None:
    rng = np.random.default_rng(0)
    for n in (1, 2, 3, 8, 9):
        v = rng.normal(size=(n, 40))
        np.testing.assert_allclose(weighted_median(v, np.ones_like(v)), np.median(v, axis=0))


def test_weighted_median_ignores_nan_and_zero_weights() -> None:
    v = np.array([[1.0, 1.0], [2.0, np.nan], [300.0, 3.0]])
    w = np.array([[1.0, 1.0], [1.0, 1.0], [0.0, 1.0]])
    np.testing.assert_allclose(weighted_median(v, w), [1.5, 2.0])
    assert np.isnan(weighted_median(np.full((2, 1), np.nan), np.ones((2, 1))))[0]


def test_one_extreme_participant_cannot_move_the_room() -> None:
    hr = np.array([[60.0], [62.0], [64.0], [66.0], [250.0]])
    assert weighted_median(hr, np.ones_like(hr))[0] == 64.0


def test_every_participant_counts_equally() -> None:
    """Swapping who has which value changes nothing."""
    rng = np.random.default_rng(5)
    v = rng.normal(size=(7, 30))
    perm = rng.permutation(7)
    np.testing.assert_array_equal(
        weighted_median(v, np.ones_like(v)), weighted_median(v[perm], np.ones_like(v))
    )


def test_quality_weight_fades_smoothly() -> None:
    q = np.array([0.0, 0.2, 0.5, 0.8, 1.0, np.nan])
    w = quality_weight(q)
    np.testing.assert_allclose(w, [0.0, 0.0, 0.5, 1.0, 1.0, 0.0])


def test_synchrony_is_one_when_together_and_near_zero_when_random() -> None:
    together = np.full((8, 5), 0.25)
    mean, sync = circular_stats(together, np.ones_like(together))
    np.testing.assert_allclose(mean, 0.25)
    np.testing.assert_allclose(sync, 1.0)
    rng = np.random.default_rng(1)
    random = rng.random((16, 4000))
    _, sync_random = circular_stats(random, np.ones_like(random))
    assert np.median(sync_random) < 0.15
    _, alone = circular_stats(np.full((1, 3), 0.5), np.ones((1, 3)))
    assert np.all(np.isnan(alone))


def test_mean_phase_wraps_around_the_cycle() -> None:
    p = np.array([[0.95], [0.05]])
    mean, _ = circular_stats(p, np.ones_like(p))
    assert min(mean[0], 1 - mean[0]) == pytest.approx(0.0, abs=1e-9)


def test_beat_phase_is_causal() -> None:
    beats = np.array([1.0, 2.0, 3.0])
    t = np.array([0.5, 1.5, 2.0, 2.5, 3.25, 9.0])
    ph = beat_phase(t, beats)
    assert np.isnan(ph[0]) and np.isnan(ph[1])
    np.testing.assert_allclose(ph[2:], [0.0, 0.5, 0.25, 0.999])


def test_collective_features_names_and_count() -> None:
    n = 10
    values = {
        "heart_rate": np.vstack([np.full(n, 60.0), np.full(n, 70.0), np.full(n, 80.0)]),
        "breath_phase": np.full((3, n), 0.5),
    }
    quality = np.vstack([np.ones(n), np.ones(n), np.zeros(n)])
    out = collective_features(values, quality)
    np.testing.assert_allclose(out["heart_rate"], 65.0)  # the third has no contact
    np.testing.assert_allclose(out["count"], 2.0)
    np.testing.assert_allclose(out["breath_sync"], 1.0)


def test_voice_allocation_spreads_people_and_shares_voices() -> None:
    places = allocate(20, 8)
    assert [p.voice for p in places[:9]] == [0, 1, 2, 3, 4, 5, 6, 7, 0]
    pans = [p.pan for p in places]
    assert min(pans) > 0 and max(pans) < 1
    assert len(set(pans)) == 20
    # A newcomer moves nobody: the first 19 seats are those of a room of 19.
    assert [p.pan for p in allocate(19, 8)] == pans[:19]
