"""EEG band powers, engagement and relaxation: known truth, and a real recording.

Known truth: a sum of sines of known amplitude in known bands gives band
shares proportional to their powers; moving a band edge (as a performance's
`[features] eeg_bands` does) moves a sine from one band to another.

Real EEG: four minutes of one-channel EEG by PLUX (biosignalsplux, 1000 Hz)
"for the detection of neuronal alpha waves while eyes are opened or closed"
(see data/README.md). The recording carries no event markers (its digital
channel stays 0), so the eyes-closed stretches are found by a reference
analysis that is not symphony's: Welch spectra of 4 s windows, non-causal;
the third of the windows with the highest alpha/beta power are the
eyes-closed ones (alpha rises 3-10x there, as expected from eyes closing),
the lowest third the eyes-open ones. Symphony's causal features, averaged
over the same windows shifted by their 1.25 s latency (2 s smoothing plus
the 0.25 s artefact look-ahead, rounded), must tell them apart: relaxation
and the alpha share higher with eyes closed, engagement lower, by the
margins below (measured: see the asserts' messages).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.signal import welch

from symphony.features.eeg import BAND_NAMES
from symphony.features.simple import extract_features
from symphony.inputs.recording import ParticipantRecording, Signal

DATA = Path(__file__).parent / "data" / "plux_eeg_eyes.npy"
FS = 1000.0  # Hz, from the OpenSignals header of the recording
RATE = 10.0  # frames per second
WINDOW = 4.0  # s: reference analysis windows
LAG = 1.25  # s: symphony's band powers trail the signal by about this
MARGIN = 0.1  # relaxation (0..1): eyes closed at least this much above eyes open (0.18)


def _uv(adc: np.ndarray) -> np.ndarray:
    """PLUX's EEG transfer function: (ADC / 2^16 - 1/2) * VCC / G, VCC 3 V, G 41782."""
    out: np.ndarray = (adc / 65536.0 - 0.5) * 3.0 / 41782.0 * 1e6
    return out


def _features(x: np.ndarray, fs: float, bands: dict[str, tuple[float, float]] | None = None):
    rec = ParticipantRecording("p", {"eeg": Signal("eeg", fs, x[None, :], "uV", 0.0)})
    return extract_features(rec, RATE, bands=bands)


def _window_means(track, name: str, n: int) -> np.ndarray:
    t = track.times()
    v = track.values[name]
    out = np.full(n, np.nan)
    for i in range(n):
        sel = (t >= i * WINDOW + LAG) & (t < (i + 1) * WINDOW + LAG) & np.isfinite(v)
        if sel.any():
            out[i] = v[sel].mean()
    return out


def test_band_shares_follow_the_power_of_sines_in_each_band() -> None:
    fs, seconds = 256.0, 40.0
    t = np.arange(int(fs * seconds)) / fs
    rng = np.random.default_rng(1)
    # Amplitudes (uV) in theta, alpha and beta: powers 1 : 4 : 2.
    x = 10 * np.sin(2 * np.pi * 6 * t) + 20 * np.sin(2 * np.pi * 10.5 * t)
    x = x + 14.14 * np.sin(2 * np.pi * 20 * t) + rng.normal(0, 0.5, t.size)
    track = _features(x, fs)
    late = track.times() > 20.0
    shares = {b: float(np.median(track.values[b][late])) for b in BAND_NAMES}
    assert abs(sum(shares.values()) - 1.0) < 0.02
    # Within 0.1 of the true shares 1/7, 4/7, 2/7: the 4th-order band-passes' skirts
    # leak each sine into the neighbouring bands (measured: theta 0.148, alpha 0.486,
    # beta 0.295), which costs the narrow alpha band most.
    for band, truth in (("theta", 1 / 7), ("alpha", 4 / 7), ("beta", 2 / 7)):
        assert abs(shares[band] - truth) < 0.1, (band, shares)
    assert shares["delta"] < 0.03 and shares["gamma"] < 0.08, shares  # 0.014, 0.056
    # Moving alpha's upper edge below 10.5 Hz moves that sine into beta (measured:
    # alpha 0.49 -> 0.23, what is left being the narrow band's skirt; beta 0.29 -> 0.55).
    moved = _features(x, fs, {"alpha": (8.0, 9.5), "beta": (9.5, 30.0)})
    alpha = float(np.median(moved.values["alpha"][late]))
    beta = float(np.median(moved.values["beta"][late]))
    assert alpha < shares["alpha"] - 0.2 and beta > shares["beta"] + 0.2, (alpha, beta)


def test_engagement_is_relaxation_mirrored_and_both_glide_to_neutral() -> None:
    fs = 256.0
    t = np.arange(int(fs * 60)) / fs
    rng = np.random.default_rng(2)
    alpha_amp = np.where((t // 10) % 2 == 1, 30.0, 5.0)  # alpha bursts every other 10 s
    x = alpha_amp * np.sin(2 * np.pi * 10 * t) + 8 * np.sin(2 * np.pi * 20 * t)
    x = x + rng.normal(0, 2, t.size)
    x[t >= 45] = np.nan  # the signal stops: features glide toward 0.5
    track = _features(x, fs)
    relax, engage = track.values["relaxation"], track.values["engagement"]
    ok = np.isfinite(relax) & (track.times() < 45)
    assert ok.sum() > 200
    assert np.allclose(relax[ok] + engage[ok], 1.0, atol=1e-9)
    tt = track.times()
    burst = (tt > 32) & (tt < 39)
    quiet = (tt > 42) & (tt < 45)
    # Measured: 0.65 in a burst, 0.35 between (the baseline sits between the two).
    assert relax[burst].mean() > 0.6 > 0.4 > engage[burst].mean()
    assert relax[quiet].mean() < 0.45
    end = tt > 59.0
    assert np.all(np.abs(relax[end] - 0.5) < np.abs(relax[tt > 44.8][0] - 0.5))
    assert np.all(np.isfinite(track.values["alpha"][end]))


@pytest.fixture(scope="module")
def plux() -> tuple[np.ndarray, np.ndarray, object]:
    x = _uv(np.load(DATA).astype(np.float64))
    n = int(x.size / FS // WINDOW) - 1
    ref = np.empty(n)
    for i in range(n):
        f, p = welch(x[int(i * WINDOW * FS) : int((i + 1) * WINDOW * FS)], FS, nperseg=2000)
        ref[i] = p[(f >= 8) & (f < 13)].sum() / p[(f >= 13) & (f < 30)].sum()
    return x, ref, _features(x, FS)


def test_eyes_closed_alpha_raises_relaxation_on_real_eeg(plux) -> None:
    _, ref, track = plux
    n = ref.size
    skip = 4  # the first 16 s: the personal baseline needs 10 s of good EEG
    relax = _window_means(track, "relaxation", n)[skip:]
    engage = _window_means(track, "engagement", n)[skip:]
    alpha = _window_means(track, "alpha", n)[skip:]
    r = ref[skip:]
    closed, opened = r >= np.quantile(r, 2 / 3), r <= np.quantile(r, 1 / 3)
    assert np.isfinite(relax).all()
    gap = relax[closed].mean() - relax[opened].mean()
    assert gap > MARGIN, (
        f"relaxation closed {relax[closed].mean():.2f} open {relax[opened].mean():.2f}"
    )
    assert engage[closed].mean() < engage[opened].mean()
    assert alpha[closed].mean() > alpha[opened].mean() + 0.05, (
        alpha[closed].mean(),
        alpha[opened].mean(),
    )
    # Window by window, the alpha share follows the reference's alpha dominance closely
    # (rank correlation measured 0.85); relaxation, measured against a baseline that
    # moves with the last minutes, less so (0.47).
    assert _rank(alpha, r) > 0.75, _rank(alpha, r)
    assert _rank(relax, r) > 0.4, _rank(relax, r)


def _rank(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation (no ties in these averages)."""
    return float(np.corrcoef(np.argsort(np.argsort(a)), np.argsort(np.argsort(b)))[0, 1])


def test_real_eeg_quality_is_high_on_a_clean_recording(plux) -> None:
    _, _, track = plux
    q = track.values["quality"][track.times() > 5]
    assert np.median(q) > 0.8
