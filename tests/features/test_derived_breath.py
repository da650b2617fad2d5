"""Breathing derived from the pulse when there is no belt, against known truth.

Simulated participants (whose PPG carries breathing as a baseline and
amplitude modulation, as real PPG does) are processed without their belt;
the breathing rate derived from the pulse must be within 1 breath/min
(median absolute error) of the simulator's true rate. NeuroKit2's
`rsp_process` on the *belt* of the same people is the reference that shows
what a belt-based method gets on this data (asserted with the same
tolerance, so the truth computation itself is checked).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.signal import butter, lfilter, sosfilt

from symphony.features.simple import ParticipantFeatures, concat_tracks, extract_features
from symphony.features.stream import ema, sos_filter
from symphony.inputs.recording import ParticipantRecording, Signal
from symphony.inputs.simulated import StateChange, simulate_group

nk = pytest.importorskip("neurokit2", reason="NeuroKit2 is the belt reference")

SCRIPT = [StateChange(0.0, "calm"), StateChange(120.0, "aroused"), StateChange(200.0, "together")]
RESP_RATE = 25.0


def _true_rate(rec: ParticipantRecording, t: np.ndarray, lag: float) -> np.ndarray:
    """Breaths/min from the true phase, averaged over 10 s, `lag` seconds ago."""
    rate = np.gradient(np.unwrap(2 * np.pi * rec.truth["breath_phase"]))
    rate = np.convolve(rate * RESP_RATE * 60 / (2 * np.pi), np.ones(250) / 250, "same")
    grid = np.arange(rate.size) / RESP_RATE
    out: np.ndarray = np.interp(t - lag, grid, rate)
    return out


def test_breathing_rate_from_the_pulse_matches_truth_and_neurokit2() -> None:
    recs = simulate_group(4, 300.0, seed=21, script=SCRIPT)
    for rec in recs:
        belt = rec.signals.pop("resp")
        rec.signals.pop("eeg")
        rec.signals.pop("eda")
        track = extract_features(rec, 50.0)
        t = track.times()
        keep = t > 45.0  # warm-up: measured 7-32 s before the first derived rate
        ours = track.values["breath_rate"][keep]
        # Our rate describes the last cycles: compare with the truth 3 s ago.
        err = float(np.median(np.abs(ours - _true_rate(rec, t[keep], 3.0))))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            signals, _ = nk.rsp_process(belt.data, sampling_rate=int(RESP_RATE))
        nk_rate = np.interp(t[keep], np.arange(len(signals)) / RESP_RATE, signals["RSP_Rate"])
        nk_err = float(np.median(np.abs(nk_rate - _true_rate(rec, t[keep], 0.0))))
        msg = f"{rec.participant}: pulse-derived {err:.2f}, NeuroKit2 on the belt {nk_err:.2f} /min"
        assert np.isfinite(ours).all(), msg
        assert err <= 1.0, msg
        assert nk_err <= 1.0, msg


def test_a_belt_replaces_the_derived_breathing() -> None:
    rec = simulate_group(1, 60.0, seed=4, script=[StateChange(0.0, "calm")])[0]
    with_belt = extract_features(rec, 50.0)
    belt_only = extract_features(
        ParticipantRecording("p01", {"resp": rec.signals["resp"]}, truth=rec.truth), 50.0
    )
    for name in ("breath_rate", "breath_phase", "breath_depth"):
        np.testing.assert_array_equal(with_belt.values[name], belt_only.values[name])


def test_pulse_derived_breathing_is_chunk_invariant() -> None:
    rec = simulate_group(1, 90.0, seed=6, script=[StateChange(0.0, "calm")])[0]
    ppg = rec.signals["ppg"]
    ppg.data[40 * 64 : 43 * 64] = np.nan
    whole = extract_features(ParticipantRecording("p", {"ppg": ppg}), 50.0)
    features = ParticipantFeatures("p", 50.0)
    rng = np.random.default_rng(3)
    pulls, a = [], 0
    while a < ppg.n_samples:
        b = min(ppg.n_samples, a + int(rng.integers(1, 200)))
        features.push(Signal("ppg", ppg.rate, ppg.data[a:b], start=a / ppg.rate))
        if rng.random() < 0.3:
            pulls.append(features.pull())
        a = b
    pulls.append(features.pull())
    streamed = concat_tracks(pulls, "p", 50.0)
    for name in ("breath_rate", "breath_phase", "breath_depth", "heart_rate"):
        assert np.array_equal(streamed.values[name], whole.values[name], equal_nan=True), name


def test_fast_sos_filter_gives_scipys_numbers() -> None:
    rng = np.random.default_rng(0)
    sos = butter(3, (4.0, 8.0), btype="bandpass", fs=256.0, output="sos")
    x = rng.standard_normal((4, 300))
    zi = rng.standard_normal((sos.shape[0], 4, 2))
    y, zf = sos_filter(sos, x, zi)
    y_ref, zf_ref = sosfilt(sos, x, axis=-1, zi=zi)
    assert np.array_equal(y, y_ref) and np.array_equal(zf, zf_ref)
    y1, z1 = sos_filter(sos, x[0], zi[:, 0])
    assert np.array_equal(y1, y_ref[0]) and np.array_equal(z1, zf_ref[:, 0])
    assert np.array_equal(sos_filter(sos, x[:, :0], zi)[1], zi)  # empty chunk: state kept


def test_fast_ema_gives_scipys_numbers() -> None:
    x = np.random.default_rng(1).standard_normal((3, 200))
    zi = np.full((3, 1), 0.25)
    y, zf = ema(x, 0.05, zi)
    y_ref, zf_ref = lfilter([0.05], [1.0, -0.95], x, axis=-1, zi=zi)
    assert np.array_equal(y, y_ref) and np.array_equal(zf, zf_ref)
