"""Robust baselines, the belt-to-pulse fallback, and gliding back after a fault.

- A belt that stops mid-show (flat, then silent) hands breathing rate and
  phase over to the breathing derived from the pulse, gliding over
  `_SWITCH_SECONDS`, and takes them back when it returns: no jump.
- After a fault, features glide back from where the hold-and-glide left
  them to the live value (time constant `_BACK_TAU`), never jumping.
- Baselines are medians (and spreads MADs) of 2 s blocks: a burst of
  outliers does not move them.
"""

from __future__ import annotations

import numpy as np

from symphony.features.combine import Glide, RobustBaselines
from symphony.features.group import _BACK_TAU, _SWITCH_SECONDS, FEATURES
from symphony.features.simple import extract_features
from symphony.inputs.simulated import StateChange, simulate_group

RATE = 50.0


def _circular(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs((a - b + 0.5) % 1.0 - 0.5)


def test_a_stopped_belt_hands_breathing_to_the_pulse_and_takes_it_back() -> None:
    rec = simulate_group(1, 240.0, seed=7, script=[StateChange(0.0, "calm")])[0]
    clean = extract_features(rec, RATE)
    resp = rec.signals["resp"]
    resp.data[int(80 * resp.rate) : int(160 * resp.rate)] = resp.data[int(80 * resp.rate)]  # flat
    track = extract_features(rec, RATE)
    t, v = track.times(), track.values
    truth = np.interp(t, np.arange(resp.n_samples) / resp.rate, rec.truth["breath_phase"])
    during = (t > 110) & (t < 160)
    rate = v["breath_rate"]
    assert np.isfinite(rate[during]).all() and np.isfinite(v["breath_phase"][during]).all()
    # The pulse carries the breathing: the rate stays plausible and the phase keeps
    # following the real breath (not a free-running guess drifting away).
    assert 6.0 < np.median(rate[during]) < 25.0
    assert np.median(_circular(v["breath_phase"][during], truth[during])) < 0.2
    # No jumps: the rate changes by at most the switch's own ramp per frame, plus the
    # feature's largest step on the clean recording (the rate updates once a breath).
    usual = np.nanmax(np.abs(np.diff(clean.values["breath_rate"][t > 30])))
    span = FEATURES["breath_rate"].high - FEATURES["breath_rate"].low
    allowed = span / (_SWITCH_SECONDS * RATE) + usual + 1e-9
    steps = np.abs(np.diff(rate))
    around = (t[1:] > 75) & (t[1:] < 200)
    assert np.nanmax(steps[around]) <= allowed, (np.nanmax(steps[around]), allowed)
    # Back on the belt afterwards.
    after = (t > 190) & (t < 240)
    assert np.median(_circular(v["breath_phase"][after], truth[after])) < 0.1


def test_features_glide_back_after_a_fault() -> None:
    rec = simulate_group(1, 200.0, seed=9, script=[StateChange(0.0, "calm")])[0]
    ppg = rec.signals["ppg"]
    ppg.data[int(60 * ppg.rate) : int(100 * ppg.rate)] = np.nan  # the pulse drops out
    track = extract_features(rec, RATE)
    t, hr = track.times(), track.values["heart_rate"]
    assert np.isfinite(hr[t > 20]).all()
    back = float(np.exp(-1.0 / (_BACK_TAU * RATE)))
    usual = np.nanpercentile(np.abs(np.diff(hr[(t > 20) & (t < 60)])), 99.9)
    recovery = (t[1:] > 100) & (t[1:] < 130)
    steps = np.abs(np.diff(hr))[recovery]
    gap = np.nanmax(np.abs(hr[(t > 99) & (t < 130)] - np.nanmedian(hr[(t > 20) & (t < 60)])))
    # Each step: at most the glide-back's share of the largest gap, plus the usual step.
    assert steps.max() <= gap * (1.0 - back) + usual + 1e-9, (steps.max(), gap, usual)


def test_glide_back_unit() -> None:
    decay = float(np.exp(-1.0 / (5.0 * RATE)))
    back = float(np.exp(-1.0 / (2.0 * RATE)))
    glide = Glide(decay, back)
    n = int(30 * RATE)
    value = np.full(n, 0.9)
    good = (np.arange(n) < 50) | (np.arange(n) >= 500)
    out = glide.apply(value, good, np.full(n, 0.5), 0)
    assert out[49] == 0.9 and out[499] < 0.6  # held, then glided toward 0.5
    assert abs(out[500] - out[499]) < 1e-12  # the signal returns: no jump ...
    assert np.all(np.diff(out[500:]) >= 0) and abs(out[-1] - 0.9) < 0.01  # ... glides back
    # Chunking does not matter.
    again = Glide(decay, back)
    parts = [
        again.apply(value[a : a + 37], good[a : a + 37], np.full(37, 0.5)[: min(37, n - a)], a)
        for a in range(0, n, 37)
    ]
    assert np.array_equal(np.concatenate(parts), out)


def test_median_baselines_ignore_a_burst_of_outliers() -> None:
    rng = np.random.default_rng(0)
    n = 6000  # 120 s of frames
    x = 70.0 + 3.0 * rng.standard_normal(n)
    x[3000:3400] = 160.0  # 8 s of nonsense
    baselines = RobustBaselines(features=1, block=100, blocks=150, min_blocks=5)
    baselines.grow(1)
    learn = np.ones((1, 1, n), dtype=bool)
    base, spread = baselines.update(np.array([0]), np.array([0]), x[None, None], learn)
    assert abs(base[0, 0, -1] - 70.0) < 1.0
    assert 2.0 < spread[0, 0, -1] < 4.5  # about the true 3 bpm
    assert np.isnan(base[0, 0, :499]).all() and np.isfinite(base[0, 0, 500:]).all()
