"""Simulated audiences as a room: coupling sets their synchrony, a script moves people.

The simulator's own truth (heart rate, breath phase) is read here, so these
check the bodies themselves; the room's reading of them through the
features is in tests/performance/test_simulated_room_render.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from symphony.collective.sync_stats import loo_isc, ppc, standardise, unit_phasors
from symphony.features.track import FeatureTrack
from symphony.inputs.recording import Signal
from symphony.inputs.simulated import StateChange, simulate_group
from symphony.inputs.simulated_room import (
    CouplingChange,
    Move,
    blank_tracks,
    coupling_curve,
    presence_windows,
    present_chunk,
)
from symphony.inputs.source import SignalChunk

CALM = [StateChange(0.0, "calm")]


def _truth(coupling: float, seed: int) -> tuple[float, float]:
    """(heart-rate ISC, breathing PPC) of the truth of 6 people over 60..120 s."""
    group = simulate_group(6, 120.0, seed, CALM, coupling=coupling)
    window = slice(60 * 25, 120 * 25, 12)
    hr = np.stack([r.truth["heart_rate"][window] for r in group])
    phase = np.stack([r.truth["breath_phase"][window] for r in group])
    return float(loo_isc(standardise(hr))), float(ppc(unit_phasors(phase)))


def test_coupling_orders_the_bodies_synchrony() -> None:
    for seed in (1, 2, 3):
        apart, partly, locked = (_truth(c, seed) for c in (0.0, 0.4, 1.0))
        assert apart[0] < partly[0] < locked[0], (seed, apart, partly, locked)
        assert apart[1] < partly[1] < locked[1], (seed, apart, partly, locked)
        assert locked[0] > 0.8 and locked[1] > 0.8
        assert abs(apart[1]) < 0.2


def test_no_coupling_leaves_the_bodies_as_they_were() -> None:
    plain = simulate_group(3, 30.0, 4, CALM)
    zero = simulate_group(3, 30.0, 4, CALM, coupling=0.0, coupling_script=[])
    for a, b in zip(plain, zero, strict=True):
        for kind in a.signals:
            np.testing.assert_array_equal(a.signals[kind].data, b.signals[kind].data)


def test_coupling_glides_from_scene_to_scene() -> None:
    t = np.arange(0.0, 40.0, 0.5)
    c = coupling_curve(t, 0.1, [CouplingChange(10.0, 0.9, ramp=10.0)])
    assert c[t < 10.0].tolist() == [0.1] * int(np.sum(t < 10.0))
    assert c[t >= 20.0].min() == pytest.approx(0.9)
    assert np.all(np.diff(c) >= 0.0) and c[t == 15.0][0] == pytest.approx(0.5)


def test_a_script_brings_newcomers_and_lets_people_go() -> None:
    total, spans = presence_windows(
        3, [Move(10.0, join=2), Move(20.0, leave=("p02",)), Move(30.0, join=("p02",))], 60.0
    )
    assert total == 5
    assert spans["p01"] == [(0.0, 60.0)]
    assert spans["p04"] == [(10.0, 60.0)] and spans["p05"] == [(10.0, 60.0)]
    assert spans["p02"] == [(0.0, 20.0), (30.0, 60.0)]
    _, spans = presence_windows(3, [Move(5.0, leave=2)], 60.0)
    assert spans["p02"] == [(0.0, 5.0)] and spans["p03"] == [(0.0, 5.0)]


@pytest.mark.parametrize(
    ("moves", "needle"),
    [
        ([Move(5.0, leave=("p09",))], "'p09' is not there"),
        ([Move(5.0, join=("p01",))], "'p01' cannot join again"),
        ([Move(5.0, leave=4)], "4 cannot leave, 3 are there"),
    ],
)
def test_a_script_that_does_not_fit_says_which_move(moves: list[Move], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        presence_windows(3, moves, 60.0)


def test_someone_away_is_stale_and_unknown_in_a_render() -> None:
    n = 50 * 20
    values = {"heart_rate": np.full(n, 70.0), "stale": np.zeros(n)}
    track = FeatureTrack("p04", 50.0, 0.0, values, {"heartbeat": np.arange(0.5, 20.0, 1.0)})
    blank_tracks([track], {"p04": [(5.0, 15.0)]})
    times = track.times()
    away = (times < 5.0) | (times >= 15.0)
    assert np.isnan(track.values["heart_rate"][away]).all()
    assert (track.values["stale"][away] == 1.0).all()
    assert (track.values["heart_rate"][~away] == 70.0).all()
    assert track.events["heartbeat"].min() > 5.0 and track.events["heartbeat"].max() < 15.0


def test_someone_away_sends_nothing_live() -> None:
    chunk = SignalChunk("p04", Signal("ppg", 64.0, np.arange(64.0), "au", start=9.5))
    part = present_chunk(chunk, [(10.0, 60.0)])
    assert part is not None
    assert part.signal.start == pytest.approx(10.0) and part.signal.n_samples == 32
    assert present_chunk(chunk, [(20.0, 60.0)]) is None
    assert present_chunk(chunk, [(0.0, 60.0)]) is chunk
