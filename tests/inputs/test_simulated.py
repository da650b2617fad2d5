"""The simulator: deterministic, physiologically pointed in the right directions, fast."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import uniform_filter1d
from scipy.signal import welch

from symphony.inputs.recording import ParticipantRecording
from symphony.inputs.simulated import (
    STATES,
    SignalRates,
    StateChange,
    simulate_group,
    state_weights,
)

SCRIPT = [
    StateChange(0.0, "calm"),
    StateChange(120.0, "aroused", ramp=10.0),
    StateChange(240.0, "together", ramp=20.0),
    StateChange(360.0, "restless", ramp=10.0),
]
# Windows (s) well inside each state, after its ramp.
WINDOWS = {"calm": (20, 120), "aroused": (140, 240), "together": (280, 360), "restless": (380, 480)}


@pytest.fixture(scope="module")
def group() -> list[ParticipantRecording]:
    return simulate_group(6, 480.0, seed=42, script=SCRIPT)


def _window(rate: float, state: str) -> slice:
    a, b = WINDOWS[state]
    return slice(int(a * rate), int(b * rate))


def _all_arrays(recs: list[ParticipantRecording], *, scripted: bool = True) -> list[np.ndarray]:
    """Every array of a group; `scripted=False` leaves out the seed-independent truth."""
    out = []
    for r in recs:
        out += [s.data for s in r.signals.values()]
        out += [v for k, v in r.truth.items() if scripted or k != "state_arousal"]
    return out


def test_same_seed_gives_identical_arrays() -> None:
    a = simulate_group(2, 30.0, seed=3, script=SCRIPT)
    b = simulate_group(2, 30.0, seed=3, script=SCRIPT)
    for x, y in zip(_all_arrays(a), _all_arrays(b), strict=True):
        assert np.array_equal(x, y)


def test_different_seed_gives_different_arrays() -> None:
    a = simulate_group(1, 30.0, seed=3, script=SCRIPT)
    b = simulate_group(1, 30.0, seed=4, script=SCRIPT)
    pairs = zip(_all_arrays(a, scripted=False), _all_arrays(b, scripted=False), strict=True)
    for x, y in pairs:
        assert x.shape != y.shape or not np.array_equal(x, y)


def test_adding_participants_keeps_the_earlier_ones() -> None:
    few = simulate_group(2, 30.0, seed=9, script=SCRIPT)
    many = simulate_group(4, 30.0, seed=9, script=SCRIPT)
    for x, y in zip(_all_arrays(few), _all_arrays(many[:2]), strict=True):
        assert np.array_equal(x, y)


def test_names_shapes_rates_and_truth() -> None:
    rates = SignalRates()
    recs = simulate_group(3, 20.0, seed=1, script=[])
    assert [r.participant for r in recs] == ["p01", "p02", "p03"]
    r = recs[0]
    assert r.signals["ppg"].data.shape == (20 * 64,)
    assert r.signals["resp"].data.shape == (20 * 25,)
    assert r.signals["eeg"].data.shape == (4, 20 * 256)
    assert r.signals["eda"].data.shape == (20 * 16,)
    assert {k: s.rate for k, s in r.signals.items()} == {
        "ppg": rates.ppg,
        "resp": rates.resp,
        "eeg": rates.eeg,
        "eda": rates.eda,
    }
    assert r.signals["eda"].unit == "uS" and r.signals["eeg"].unit == "uV"
    for key in ("breath_phase", "heart_rate", "state_arousal"):
        assert r.truth[key].shape == (20 * 25,)
    for s in r.signals.values():
        assert np.isfinite(s.data).all()
    assert ((r.truth["breath_phase"] >= 0) & (r.truth["breath_phase"] < 1)).all()
    beats = r.truth["beat_times"]
    assert (np.diff(beats) > 0.3).all() and beats[0] >= 0 and beats[-1] < 20.0
    assert np.all(r.signals["eda"].data > 0)


def test_unknown_state_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown state"):
        simulate_group(1, 10.0, seed=0, script=[StateChange(0.0, "sleepy")])


def test_state_weights_glide_over_the_ramp() -> None:
    t = np.arange(0, 100, 0.5)
    w = state_weights(t, [StateChange(50.0, "aroused", ramp=20.0)])
    calm, aroused = STATES.index("calm"), STATES.index("aroused")
    assert np.allclose(w.sum(axis=1), 1.0)
    assert w[t == 40.0, calm] == 1.0 and w[t == 80.0, aroused] == 1.0
    assert 0.4 < w[t == 60.0, aroused][0] < 0.6  # halfway through the glide
    assert np.all(np.diff(w[:, aroused]) >= 0)


def test_beat_times_follow_the_heart_rate(group: list[ParticipantRecording]) -> None:
    for r in group:
        beats = r.truth["beat_times"]
        from_beats = 60.0 * (beats.size - 1) / (beats[-1] - beats[0])
        assert from_beats == pytest.approx(r.truth["heart_rate"].mean(), abs=1.5)


def test_states_move_heart_breath_and_skin(group: list[ParticipantRecording]) -> None:
    for r in group:
        hr = r.truth["heart_rate"]
        calm, aroused = hr[_window(25, "calm")].mean(), hr[_window(25, "aroused")].mean()
        assert 12.0 < aroused - calm < 35.0  # +15..25 bpm over a calm that is itself lowered
        rate = np.gradient(np.unwrap(2 * np.pi * r.truth["breath_phase"])) * 25 * 60 / (2 * np.pi)
        assert rate[_window(25, "aroused")].mean() > 1.3 * rate[_window(25, "calm")].mean()
        assert rate[_window(25, "together")].mean() == pytest.approx(6.0, abs=0.8)
        eda = r.signals["eda"].data
        assert eda[_window(16, "aroused")].mean() > 1.03 * eda[_window(16, "calm")].mean()
        # The tonic level climbs through arousal: compare the last 30 s of each state.
        assert eda[210 * 16 : 240 * 16].mean() > 1.08 * eda[90 * 16 : 120 * 16].mean()
        arousal = r.truth["state_arousal"]
        assert arousal[_window(25, "aroused")].mean() > arousal[_window(25, "calm")].mean() + 0.5


def test_aroused_has_more_skin_responses(group: list[ParticipantRecording]) -> None:
    def responses(x: np.ndarray) -> int:
        smooth = uniform_filter1d(x, 16)  # 1 s: below the sensor noise, keep the SCR fronts
        rising = np.diff(smooth) * 16 > 0.05  # uS/s: the steep front of an SCR
        return int(np.sum(rising[1:] & ~rising[:-1]))

    for r in group:
        eda = r.signals["eda"].data
        assert responses(eda[_window(16, "aroused")]) > 2 * responses(eda[_window(16, "calm")])


def test_calm_has_more_alpha_and_less_beta(group: list[ParticipantRecording]) -> None:
    def bands(x: np.ndarray) -> tuple[float, float]:
        f, p = welch(x, fs=256, nperseg=512, axis=-1)
        p = p.mean(axis=0)
        return float(p[(f >= 8) & (f <= 12)].sum()), float(p[(f >= 15) & (f <= 28)].sum())

    for r in group:
        eeg = r.signals["eeg"].data
        alpha_calm, beta_calm = bands(eeg[:, _window(256, "calm")])
        alpha_aroused, beta_aroused = bands(eeg[:, _window(256, "aroused")])
        assert alpha_calm > 1.5 * alpha_aroused
        assert beta_aroused > 1.5 * beta_calm


def test_together_synchronises_breathing(group: list[ParticipantRecording]) -> None:
    phases = np.array([r.truth["breath_phase"] for r in group])
    order = np.abs(np.exp(2j * np.pi * phases).mean(axis=0))  # Kuramoto R over people
    together = order[_window(25, "together")].mean()
    restless = order[_window(25, "restless")].mean()
    assert together > 0.85
    assert restless < 0.6
    # ... and not every person identical: a group, not clones.
    assert together < 0.995


def test_breath_phase_is_monotonic_within_cycles(group: list[ParticipantRecording]) -> None:
    for r in group:
        step = np.diff(r.truth["breath_phase"])
        assert np.all((step >= 0) | (step < -0.5))


def test_restless_brings_motion_artefacts(group: list[ParticipantRecording]) -> None:
    for r in group:
        x = r.signals["ppg"].data
        spread = np.median(np.abs(x - np.median(x)))
        big = np.abs(x - np.median(x)) > 6 * spread
        assert big[_window(64, "restless")].mean() > 3 * big[_window(64, "calm")].mean() + 1e-3


def test_eeg_has_blinks_on_frontal_channels_only(group: list[ParticipantRecording]) -> None:
    eeg = group[0].signals["eeg"].data
    assert np.max(np.abs(eeg[:2])) > 80.0
    assert np.max(np.abs(eeg[2:])) < 0.6 * np.max(np.abs(eeg[:2]))


def test_a_ten_minute_group_has_full_length_signals() -> None:
    """Speed is measured in benchmarks/render.py, never asserted here (a shared machine)."""
    recs = simulate_group(8, 600.0, seed=0, script=SCRIPT)
    for rec in recs:
        assert rec.signals["ppg"].n_samples == int(600 * rec.signals["ppg"].rate)
        assert rec.signals["eeg"].data.shape[0] == 4
