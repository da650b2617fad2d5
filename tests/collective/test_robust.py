"""Property tests of the room's robust aggregation (README, "The collective": the bound).

Each property is one promise of issue 10, section 4: permutations change
nothing, one extreme/railed/non-finite person moves a feature by at most the
stated bound, a newcomer equal to the median changes nothing, and fades are
continuous (leaving and rejoining cannot jump beyond the fade's own step).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from symphony.collective.robust import LEVELS, fade_median, fade_medians, influence_bounds

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
values_of_room = st.lists(finite, min_size=1, max_size=40)
weight = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
extreme = st.sampled_from([np.inf, -np.inf, np.nan, 1e300, -1e300, 0.0, 1e6, -1e6])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(finite, weight), min_size=1, max_size=30), st.randoms())
def test_permuting_participants_changes_nothing(people: list[tuple[float, float]], rnd) -> None:
    values = np.array([[v] for v, _ in people])
    weights = np.array([[w] for _, w in people])
    order = list(range(len(people)))
    rnd.shuffle(order)
    before = fade_medians(values, weights)
    after = fade_medians(values[order], weights[order])
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=300, deadline=None)
@given(st.lists(finite, min_size=2, max_size=40), extreme)
def test_one_extreme_person_moves_the_median_at_most_the_bound(
    others: list[float], odd: float
) -> None:
    low, high = influence_bounds(np.array(others))
    median, _, _ = fade_median(np.array([*others, odd]), np.ones(len(others) + 1))
    ulps = 4 * np.finfo(float).eps * max(abs(low), abs(high), 1e-300)  # (a+b)/2 vs a+(b-a)/2
    assert low - ulps <= median <= high + ulps
    # The bound as stated in the README: between the middle values of the others.
    o = np.sort(others)
    m = len(o)
    if m % 2 == 0:
        assert (low, high) == (o[m // 2 - 1], o[m // 2])
    else:
        assert low == (o[m // 2 - 1] + o[m // 2]) / 2
        assert high == (o[m // 2] + o[m // 2 + 1]) / 2


@settings(max_examples=200, deadline=None)
@given(st.lists(finite, min_size=1, max_size=40))
def test_a_newcomer_equal_to_the_median_changes_nothing(others: list[float]) -> None:
    before, _, _ = fade_median(np.array(others), np.ones(len(others)))
    for w in (1.0, 0.5, 1.0 / LEVELS):
        after, _, _ = fade_median(np.array([*others, before]), np.array([*np.ones(len(others)), w]))
        assert after == before or np.isclose(after, before, rtol=0, atol=1e-9 * (1 + abs(before)))


@settings(max_examples=150, deadline=None)
@given(st.lists(finite, min_size=1, max_size=30), finite)
def test_a_fade_moves_the_median_continuously(others: list[float], newcomer: float) -> None:
    """Fading someone in (or out, the same path backwards) never jumps.

    Each step of the fade (1/LEVELS of weight) moves the median by at most
    1/LEVELS of the total change the person makes fully in: no jump beyond
    the fade's own step, on joining, on leaving, on rejoining.
    """
    ones = np.ones(len(others))
    path = [
        fade_median(np.array([*others, newcomer]), np.array([*ones, k / LEVELS]))[0]
        for k in range(LEVELS + 1)
    ]
    reach = abs(path[-1] - path[0])
    steps = np.abs(np.diff(path))
    assert np.all(steps <= reach / LEVELS * 1.000001 + 1e-9 * (1 + abs(path[0])))
    # Left and back: the same weights give the same values (no memory, no drift).
    back = [
        fade_median(np.array([*others, newcomer]), np.array([*ones, k / LEVELS]))[0]
        for k in range(LEVELS, -1, -1)
    ]
    assert back == path[::-1]


@settings(max_examples=100, deadline=None)
@given(st.lists(finite, min_size=3, max_size=30))
def test_everyone_at_full_weight_is_the_plain_median(values: list[float]) -> None:
    median, spread, presence = fade_median(np.array(values), np.ones(len(values)))
    scale = 4 * np.finfo(float).eps * max(abs(v) for v in values)  # a+(b-a)/2 vs (a+b)/2
    assert abs(median - np.median(values)) <= scale
    assert presence == 1.0
    q1, q3 = np.percentile(values, [25, 75])
    assert abs(spread - (q3 - q1) / 1.349) <= 4 * scale + 1e-12


def test_an_empty_room_has_no_value_and_no_presence() -> None:
    median, spread, presence = fade_median(np.array([]), np.array([]))
    assert np.isnan(median) and np.isnan(spread) and presence == 0.0
    median, _, presence = fade_median(np.array([np.nan, np.inf]), np.ones(2))
    assert presence == 0.0 and np.isnan(median)  # non-finite values are not heard
