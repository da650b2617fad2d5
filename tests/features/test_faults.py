"""Sensor faults: quality must flag them, features must hold and glide, nothing may crash.

Faults are injected by a seeded plan into one signal kind at a time (so the
participant's quality is that kind's quality): flat line, railed, spikes
(faults.py), NaN burst, dropout (chunks never delivered), PPG motion, EEG
blinks / eye movements across the headband. Scored on 1 s windows:

- recall: windows wholly inside a fault, after the kind's flat-line allowance
  (a flat line is only distinguishable from a quiet signal after a run of
  identical samples: 1 s, 3 s for EDA), whose minimum quality is below 0.5;
- false alarms: windows of the same recordings away from any fault (not
  within 1 s before one or 12 s after one, the recovery: settle time plus
  the quality's 2 s release) whose minimum quality is below 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from symphony.features.simple import FEATURES, ParticipantFeatures, concat_tracks
from symphony.features.track import FeatureTrack
from symphony.inputs.faults import apply_fault
from symphony.inputs.recording import Signal
from symphony.inputs.simulated import StateChange, simulate_group

RATE = 50.0
DURATION = 400.0
WARM_UP = 30.0  # s: baselines and amplitude references are learnt first
RECOVERY = 12.0
_GLIDE_TAU = 5.0  # s, as in simple.py
ALLOWANCE = {"ppg": 1.0, "resp": 1.0, "eeg": 1.0, "eda": 3.0}
FAULTS = {
    "ppg": ("flat", "railed", "spikes", "nan", "dropout", "motion"),
    "resp": ("flat", "railed", "spikes", "nan", "dropout"),
    "eeg": ("flat", "railed", "spikes", "nan", "dropout", "blinks"),
    "eda": ("flat", "railed", "spikes", "nan", "dropout"),
}

OWN = {  # features of a participant who wears only this sensor
    "ppg": ("heart_rate", "arousal", "quality", "stale"),
    "resp": ("breath_rate", "breath_phase", "breath_depth", "quality", "stale"),
    "eeg": ("relaxation", "quality", "stale"),
    "eda": ("arousal", "quality", "stale"),
}


@dataclass
class Run:
    kind: str
    track: FeatureTrack
    faults: list[tuple[float, float, str]]


def _plan(kinds: tuple[str, ...], rng: np.random.Generator) -> list[tuple[float, float, str]]:
    """Faults of 4-9 s, each kind several times, with 15-25 s of clean signal between."""
    out = []
    t = WARM_UP + 10.0
    order = [k for _ in range(4) for k in kinds]
    rng.shuffle(order)
    for kind in order:
        length = float(rng.uniform(4.0, 9.0))
        if t + length > DURATION - 5.0:
            break
        out.append((t, t + length, kind))
        t += length + float(rng.uniform(15.0, 25.0))
    return out


def _corrupt(signal: Signal, start: float, end: float, kind: str, rng: np.random.Generator) -> None:
    i0, i1 = round(start * signal.rate), round(end * signal.rate)
    region = signal.data[..., i0:i1]
    n = region.shape[-1]
    t = np.arange(n) / signal.rate
    if kind == "motion":  # a hand moving: slow large swings, 10-20 times the pulse
        region += rng.uniform(10.0, 20.0) * np.sin(2 * np.pi * 1.3 * t + rng.uniform(0, 6))
    elif kind == "blinks":  # a blink or eye movement every 0.6 s, seen on every channel
        bumps = np.zeros(n)
        for at in np.arange(0.1, t[-1] if n else 0.0, 0.6):
            bumps += np.exp(-0.5 * ((t - at - 0.15) / 0.06) ** 2)
        region += rng.uniform(120.0, 250.0) * bumps
    elif kind != "dropout":
        apply_fault(signal, start, end, kind)  # type: ignore[arg-type]


def _run(kind: str, seed: int) -> Run:
    rng = np.random.default_rng([seed, 77])
    rec = simulate_group(1, DURATION, seed=seed, script=[StateChange(0.0, "calm")])[0]
    signal = rec.signals[kind]
    faults = _plan(FAULTS[kind], rng)
    for start, end, fault in faults:
        _corrupt(signal, start, end, fault, rng)
    dropped = [(a, b) for a, b, f in faults if f == "dropout"]
    features = ParticipantFeatures("p", RATE)
    pieces = []
    step = 0.25  # s: live-like chunks
    for k in range(int(DURATION / step)):
        t0 = k * step
        if any(a <= t0 and t0 + step <= b for a, b in dropped):
            continue  # never delivered
        a, b = round(t0 * signal.rate), round((t0 + step) * signal.rate)
        features.push(Signal(kind, signal.rate, signal.data[..., a:b], signal.unit, t0))
        pieces.append(features.pull(now=t0 + step))
    return Run(kind, concat_tracks(pieces, "p", RATE), faults)


@pytest.fixture(scope="module", params=sorted(FAULTS))
def run(request: pytest.FixtureRequest) -> Run:
    return _run(request.param, seed=5)


def _windows(run: Run) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per 1 s window: its start, flagged?, and 1 = in fault / 0 = clean / -1 = neither."""
    t, q = run.track.times(), run.track.values["quality"]
    starts = np.arange(WARM_UP, DURATION - 1.0)
    flagged = np.array([q[(t >= s) & (t < s + 1.0)].min() < 0.5 for s in starts])
    label = np.zeros(starts.size, dtype=np.int64)
    for a, b, _ in run.faults:
        label[(starts + 1.0 > a - 1.0) & (starts < b + RECOVERY)] = -1
    for a, b, _ in run.faults:
        label[(starts >= a + ALLOWANCE[run.kind]) & (starts + 1.0 <= b)] = 1
    return starts, flagged, label


def test_quality_flags_injected_faults_and_spares_clean_signal(run: Run) -> None:
    starts, flagged, label = _windows(run)
    recall = float(flagged[label == 1].mean())
    false_alarm = float(flagged[label == 0].mean())
    per_fault = {}
    for a, b, f in run.faults:
        inside = (label == 1) & (starts >= a) & (starts < b)
        per_fault.setdefault(f, []).extend(flagged[inside].tolist())
    detail = ", ".join(f"{f} {np.mean(v):.2f}" for f, v in sorted(per_fault.items()) if v)
    msg = (
        f"{run.kind}: recall {recall:.3f} over {int((label == 1).sum())} fault windows ({detail}); "
        f"false alarms {false_alarm:.3f} over {int((label == 0).sum())} clean windows"
    )
    print(msg)
    assert recall >= 0.95, msg
    assert false_alarm <= 0.05, msg


def test_features_stay_finite_and_glide_gently_through_faults(run: Run) -> None:
    """No feature jumps during a fault by more than the 5 s glide allows from its range."""
    t, v = run.track.times(), run.track.values
    for name, x in v.items():
        assert not np.isinf(x).any(), name
    for name in OWN[run.kind]:
        assert np.isfinite(v[name][t > WARM_UP]).all(), f"{run.kind} {name}"
    starts, _, label = _windows(run)
    clean = np.zeros(t.size, dtype=bool)
    for s in starts[label == 0]:
        clean |= (t >= s) & (t < s + 1.0)
    for name in ("heart_rate", "breath_rate", "arousal", "relaxation", "breath_depth"):
        info = FEATURES[name]
        steps = np.abs(np.diff(v[name]))
        usual = float(np.nanmax(steps[clean[1:]], initial=0.0))
        # The glide's largest step, or the feature's own largest step on clean signal.
        allowed = max((info.high - info.low) / (_GLIDE_TAU * RATE), usual) + 1e-9
        for a, b, _ in run.faults:
            inside = (t[1:] > a) & (t[1:] < b)
            worst = float(np.nanmax(steps[inside], initial=0.0))
            assert worst <= allowed, f"{run.kind} {name} at {a:.0f} s: {worst:.4f} > {allowed:.4f}"


def test_staleness_is_flagged_within_two_seconds() -> None:
    rec = simulate_group(1, 40.0, seed=3, script=[StateChange(0.0, "calm")])[0]
    features = ParticipantFeatures("p", RATE)
    for second in range(30):
        for kind, s in rec.signals.items():
            a, b = int(second * s.rate), int((second + 1) * s.rate)
            features.push(Signal(kind, s.rate, s.data[..., a:b], s.unit, float(second)))
        features.pull(now=second + 1.0)
    assert features.pull(now=30.5).values["stale"].max(initial=0.0) == 0.0
    later = features.pull(now=32.0)  # the connection dropped at 30 s
    assert later.times()[-1] == pytest.approx(32.0)
    assert later.values["stale"][-1] == 1.0
    assert later.values["quality"][-1] == 0.0
    for x in later.values.values():
        assert np.isfinite(x).all()


def test_hostile_feeds_never_crash() -> None:
    """Empty, out-of-order, overlapping, absurd and NaN chunks; clocks going backwards."""
    rng = np.random.default_rng(99)
    features = ParticipantFeatures("p", RATE)
    rates = {"ppg": 64.0, "resp": 25.0, "eeg": 256.0, "eda": 16.0}
    now = 0.0
    for _ in range(600):
        kind = str(rng.choice(list(rates)))
        fs = rates[kind]
        n = int(rng.integers(0, 40))
        shape = (4, n) if kind == "eeg" else (n,)
        data = rng.normal(0.0, 10.0 ** rng.uniform(-3, 6), shape) + 2.0
        pick = rng.random()
        if pick < 0.1:
            data[..., : n // 2] = np.nan
        elif pick < 0.15:
            data[...] = np.inf
        elif pick < 0.2:
            data[...] = 1e300
        start = max(0.0, now + float(rng.normal(0.0, 0.5)))
        features.push(Signal(kind, fs, data, start=start))
        now += float(rng.uniform(0.0, 0.2))
        track = features.pull(now=now + float(rng.normal(0.0, 1.0)))
        q = track.values["quality"]
        assert np.all((q >= 0.0) & (q <= 1.0))
        for x in track.values.values():
            assert not np.isinf(x).any()
