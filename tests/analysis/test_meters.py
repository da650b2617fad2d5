"""Tests for the BS.1770 meters: closed-form answers, references and block invariance."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyloudnorm
import pytest
import soundfile as sf
from scipy import signal

from symphony.analysis.meters import (
    LoudnessMeter,
    RenderReport,
    TruePeakMeter,
    format_report,
    integrated_loudness_lufs,
    k_weighting_sos,
    measure_file,
    oversampling_factor,
    sample_peak_dbfs,
    short_term_loudness_lufs,
    true_peak_dbtp,
)

FloatArray = npt.NDArray[np.float64]


def _faded(x: FloatArray, rate: float, fade_s: float = 0.05) -> FloatArray:
    """Raised-sine fades so the abrupt start/end of a test tone adds no overshoot."""
    n = int(fade_s * rate)
    env = np.ones(len(x))
    ramp = np.sin(np.linspace(0.0, np.pi / 2, n)) ** 2
    env[:n] = ramp
    env[-n:] = ramp[::-1]
    return x * env if x.ndim == 1 else x * env[:, np.newaxis]


def _tone(freq: float, rate: float, seconds: float, phase: float = 0.0) -> FloatArray:
    t = np.arange(int(seconds * rate)) / rate
    return np.sin(2 * np.pi * freq * t + phase)


def _band_limited_noise(
    rng: np.random.Generator, n: int, channels: int, edge: float = 0.4
) -> FloatArray:
    """White noise with everything above `edge`·fs removed, scaled to a 0.5 sample peak."""
    spectrum = np.fft.rfft(rng.standard_normal((n, channels)), axis=0)
    spectrum[int(edge * n) :] = 0.0
    x = np.fft.irfft(spectrum, n, axis=0)
    return 0.5 * x / np.max(np.abs(x))


def _pink_noise(rng: np.random.Generator, n: int, channels: int) -> FloatArray:
    spectrum = np.fft.rfft(rng.standard_normal((n, channels)), axis=0)
    k = np.arange(spectrum.shape[0], dtype=np.float64)
    k[0] = 1.0
    x = np.fft.irfft(spectrum / np.sqrt(k)[:, np.newaxis], n, axis=0)
    return 0.25 * x / np.max(np.abs(x))


# --------------------------------------------------------------------------- peaks


def test_sample_peak_of_known_values() -> None:
    x = np.array([[0.0, 0.25], [-0.5, 0.1]])
    assert sample_peak_dbfs(x) == pytest.approx(20 * math.log10(0.5))
    assert sample_peak_dbfs(np.array([1.0, -1.0])) == pytest.approx(0.0)


def test_silence_and_empty_are_minus_infinity() -> None:
    assert sample_peak_dbfs(np.zeros(1000)) == -math.inf
    assert sample_peak_dbfs(np.zeros((0, 2))) == -math.inf
    assert true_peak_dbtp(np.zeros((4800, 2)), 48000) == -math.inf
    assert integrated_loudness_lufs(np.zeros((48000 * 2, 2)), 48000) == -math.inf


def test_quarter_rate_sine_at_45_degrees_has_inter_sample_peak() -> None:
    """The textbook case: every sample is at ±0.707 while the waveform reaches ±1."""
    rate = 48000
    x = _faded(_tone(rate / 4, rate, 1.0, phase=math.pi / 4), rate)
    assert sample_peak_dbfs(x) == pytest.approx(-3.0103, abs=0.001)
    assert true_peak_dbtp(x, rate) == pytest.approx(0.0, abs=0.02)


@pytest.mark.parametrize(
    ("num", "den", "phase"),
    [(1, 4, math.pi / 4), (1, 6, 0.0), (1, 8, math.pi / 8), (5, 12, math.pi / 12), (7, 16, 0.2)],
)
@pytest.mark.parametrize("rate", [44100, 48000])
def test_peaks_of_rational_sines_match_closed_form(
    num: int, den: int, phase: float, rate: int
) -> None:
    """A sine at num/den·fs only takes `den` phases, so both peaks have closed forms.

    The sample peak is the largest |sin| over the sample phases; the true
    peak, measured on the 4x grid the recommendation prescribes, is the
    largest |sin| over the 4x-grid phases.
    """
    amplitude = 0.8
    x = amplitude * _faded(_tone(rate * num / den, rate, 1.0, phase), rate)
    k = np.arange(4 * den)
    expected_sample = np.max(np.abs(np.sin(phase + 2 * np.pi * num * k[:den] / den)))
    expected_true = np.max(np.abs(np.sin(phase + 2 * np.pi * num * k / (4 * den))))
    assert sample_peak_dbfs(x) == pytest.approx(
        20 * np.log10(amplitude * expected_sample), abs=1e-3
    )
    assert true_peak_dbtp(x, rate) == pytest.approx(
        20 * np.log10(amplitude * expected_true), abs=0.02
    )


def test_true_peak_never_below_sample_peak() -> None:
    rng = np.random.default_rng(7)
    x = rng.uniform(-1, 1, (20000, 3))
    assert true_peak_dbtp(x, 48000) >= sample_peak_dbfs(x) - 1e-6


@pytest.mark.parametrize("rate", [44100, 48000])
def test_true_peak_matches_high_oversampling_reference(rate: int) -> None:
    """Within 0.2 dB of a 16x resample_poly peak on band-limited noise."""
    rng = np.random.default_rng(rate)
    for _ in range(4):
        x = _band_limited_noise(rng, rate // 2, 2)
        reference = 20 * np.log10(np.max(np.abs(signal.resample_poly(x, 16, 1, axis=0))))
        measured = true_peak_dbtp(x, rate)
        assert measured == pytest.approx(reference, abs=0.2)
        assert measured >= sample_peak_dbfs(x)


def test_true_peak_block_processing_equals_whole_file() -> None:
    rate = 48000
    rng = np.random.default_rng(11)
    x = _band_limited_noise(rng, 100_003, 8)
    whole = true_peak_dbtp(x, rate)
    for block in (1, 37, 1000, 4097, 65536):
        meter = TruePeakMeter(rate, 8)
        for start in range(0, min(len(x), 1000) if block == 1 else len(x), block):
            meter.process(x[start : start + block])
        # Sample-by-sample runs on a prefix only, to keep the test fast.
        expected = true_peak_dbtp(x[:1000], rate) if block == 1 else whole
        assert meter.peak_dbtp == pytest.approx(expected, abs=1e-4)


def test_true_peak_includes_peak_in_last_block_ring_out() -> None:
    """A peak right at the file's end still counts, whatever the block split."""
    rate = 48000
    x = np.zeros(1000)
    x[-2:] = [0.9, 0.9]  # interpolation between two equal samples overshoots them
    meter = TruePeakMeter(rate, 1)
    meter.process(x)
    assert meter.peak_dbtp == pytest.approx(true_peak_dbtp(x, rate))
    assert meter.peak_dbtp > sample_peak_dbfs(x)


def test_oversampling_factor_follows_rate() -> None:
    assert oversampling_factor(44100) == 4
    assert oversampling_factor(48000) == 4
    assert oversampling_factor(96000) == 2
    assert oversampling_factor(192000) == 1
    x = _faded(_tone(96000 / 4, 192000, 0.2, math.pi / 4), 192000)
    assert true_peak_dbtp(x, 192000) == pytest.approx(sample_peak_dbfs(x))


# --------------------------------------------------------------------------- loudness


def test_k_weighting_matches_bs1770_table_at_48k() -> None:
    sos = k_weighting_sos(48000)
    shelf = [1.53512485958697, -2.69169618940638, 1.19839281085285]
    shelf += [1.0, -1.69065929318241, 0.73248077421585]
    highpass = [1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621]
    expected = [shelf, highpass]
    np.testing.assert_allclose(sos, expected, atol=1e-8)


def test_k_weighting_response_is_rate_independent() -> None:
    """The derived filters agree across rates where it matters (below 16 kHz)."""
    freqs = np.array([20.0, 50.0, 100.0, 1000.0, 2000.0, 5000.0, 10000.0, 16000.0])
    _, h48 = signal.sosfreqz(k_weighting_sos(48000), worN=freqs, fs=48000)
    for rate in (44100, 96000):
        _, h = signal.sosfreqz(k_weighting_sos(rate), worN=freqs, fs=rate)
        np.testing.assert_allclose(20 * np.log10(np.abs(h)), 20 * np.log10(np.abs(h48)), atol=0.1)


@pytest.mark.parametrize("freq", [997.0, 1000.0])
def test_ebu_3341_stereo_sine_at_minus_23(freq: float) -> None:
    rate = 48000
    s = 10 ** (-23 / 20) * _tone(freq, rate, 20.0)
    assert integrated_loudness_lufs(np.stack([s, s], axis=1), rate) == pytest.approx(-23.0, abs=0.1)


def _reference_signals(rate: int) -> dict[str, FloatArray]:
    rng = np.random.default_rng(rate)
    n = rate * 5
    return {
        "pink mono": _pink_noise(rng, n, 1)[:, 0],
        "pink stereo": _pink_noise(rng, n, 2),
        "sine 100 Hz": 0.3 * _tone(100.0, rate, 5.0),
        "stereo sines": np.stack(
            [0.2 * _tone(5000.0, rate, 5.0), 0.05 * _tone(300.0, rate, 5.0)], 1
        ),
        "loud then quiet": np.concatenate(
            [0.5 * _tone(440.0, rate, 2.5), 0.003 * _tone(440.0, rate, 2.5)]
        ),
    }


@pytest.mark.parametrize("rate", [44100, 48000])
def test_integrated_loudness_matches_pyloudnorm(rate: int) -> None:
    """Against pyloudnorm: its spec-exact 'DeMan' filters and its default approximation."""
    exact = pyloudnorm.Meter(rate, filter_class="DeMan")
    default = pyloudnorm.Meter(rate)
    for name, x in _reference_signals(rate).items():
        ours = integrated_loudness_lufs(x, rate)
        assert ours == pytest.approx(exact.integrated_loudness(x), abs=0.02), name
        assert ours == pytest.approx(default.integrated_loudness(x), abs=0.1), name


def test_relative_gate_ignores_quiet_passage() -> None:
    """A passage 30 LU down is above the absolute gate but below the relative one.

    It must then count no more than digital silence does (the blocks that
    straddle the transition are the same in both cases).
    """
    rate = 48000
    loud = 0.5 * _tone(440.0, rate, 4.0)
    quiet = 0.5 * 10 ** (-30 / 20) * _tone(440.0, rate, 12.0)
    assert integrated_loudness_lufs(quiet, rate) > -70.0
    with_silence = integrated_loudness_lufs(np.concatenate([loud, np.zeros_like(quiet)]), rate)
    with_quiet = integrated_loudness_lufs(np.concatenate([loud, quiet]), rate)
    assert with_quiet == pytest.approx(with_silence, abs=0.01)
    assert with_quiet == pytest.approx(integrated_loudness_lufs(loud, rate), abs=0.3)
    # Ungated, the quiet 12 s would pull the energy mean down by ~6 dB.
    ungated = 10 * np.log10(np.mean(np.concatenate([loud, quiet]) ** 2) / np.mean(loud**2))
    assert ungated < -5.5


def test_relative_gate_keeps_moderately_quieter_passage() -> None:
    """A passage only 5 LU down passes the gate and pulls the result down."""
    rate = 48000
    loud = 0.5 * _tone(440.0, rate, 4.0)
    softer = 0.5 * 10 ** (-5 / 20) * _tone(440.0, rate, 4.0)
    alone = integrated_loudness_lufs(loud, rate)
    both = integrated_loudness_lufs(np.concatenate([loud, softer]), rate)
    expected = alone + 10 * math.log10((1 + 10 ** (-0.5)) / 2)
    assert both == pytest.approx(expected, abs=0.1)


def test_absolute_gate_silences_very_quiet_signal() -> None:
    rate = 48000
    x = 10 ** (-80 / 20) * _tone(1000.0, rate, 3.0)
    assert integrated_loudness_lufs(x, rate) == -math.inf
    assert integrated_loudness_lufs(x * 10 ** (20 / 20), rate) == pytest.approx(-63.0, abs=0.2)


def test_shorter_than_one_gating_block_is_minus_infinity() -> None:
    assert integrated_loudness_lufs(0.5 * _tone(1000.0, 48000, 0.3), 48000) == -math.inf


def test_loudness_block_processing_equals_whole_file() -> None:
    rate = 44100  # 100 ms hops are exact at 44.1 kHz too, but the splits are awkward
    rng = np.random.default_rng(5)
    x = _pink_noise(rng, rate * 7 + 123, 2)
    whole = integrated_loudness_lufs(x, rate)
    whole_short = short_term_loudness_lufs(x, rate)
    for block in (999, 4410, 65536):
        meter = LoudnessMeter(rate, 2)
        for start in range(0, len(x), block):
            meter.process(x[start : start + block])
        assert meter.integrated_lufs() == pytest.approx(whole, abs=1e-9)
        np.testing.assert_allclose(meter.short_term_lufs(), whole_short, atol=1e-9)


def test_loudness_handles_rate_not_divisible_by_ten() -> None:
    rate = 11025  # 1102.5 samples per hop
    s = 10 ** (-23 / 20) * _tone(997.0, rate, 10.0)
    assert integrated_loudness_lufs(np.stack([s, s], 1), rate) == pytest.approx(-23.0, abs=0.1)


def test_short_term_loudness_tracks_level_changes() -> None:
    rate = 48000
    s = 10 ** (-23 / 20) * _tone(997.0, rate, 6.0)
    x = np.stack([s, s], 1)
    x[3 * rate :] *= 10 ** (-10 / 20)
    st = short_term_loudness_lufs(x, rate)
    assert len(st) == 31  # windows starting at 0.0 .. 3.0 s
    assert st[0] == pytest.approx(-23.0, abs=0.1)
    assert st[-1] == pytest.approx(-33.0, abs=0.1)
    assert len(short_term_loudness_lufs(x[: 2 * rate], rate)) == 0


def test_surround_weights_and_overrides() -> None:
    rate = 48000
    s = 10 ** (-23 / 20) * _tone(997.0, rate, 3.0)
    only_surround = np.zeros((len(s), 5))
    only_surround[:, 3] = s
    only_front = np.zeros((len(s), 5))
    only_front[:, 0] = s
    difference = integrated_loudness_lufs(only_surround, rate) - integrated_loudness_lufs(
        only_front, rate
    )
    assert difference == pytest.approx(10 * math.log10(1.41), abs=0.01)
    ring = np.zeros((len(s), 8))
    ring[:, 6] = s
    ring[:, 0] = s
    assert integrated_loudness_lufs(ring, rate) == pytest.approx(-23.0, abs=0.1)
    halved = integrated_loudness_lufs(ring, rate, channel_weights=[0.5] * 8)
    assert halved == pytest.approx(-26.0, abs=0.1)


# --------------------------------------------------------------------------- files


def test_measure_file_and_format_report(tmp_path: Path) -> None:
    rate = 48000
    s = 10 ** (-23 / 20) * _tone(997.0, rate, 12.0)
    x = np.stack([s, s], 1)
    x[rate : rate + 4] = [[0.5, 0.5], [0.5, 0.5], [-0.5, -0.5], [-0.5, -0.5]]
    x[2 * rate, 1] = -0.7  # the largest magnitude is negative, in the second channel
    path = tmp_path / "render.wav"
    sf.write(path, x, rate, subtype="FLOAT")
    report = measure_file(path, speed_x=18.3)
    assert report.duration_s == pytest.approx(12.0)
    assert report.sample_peak_dbfs == pytest.approx(20 * math.log10(0.7), abs=1e-6)
    assert report.true_peak_dbtp == pytest.approx(true_peak_dbtp(x, rate), abs=1e-4)
    assert report.integrated_lufs == pytest.approx(integrated_loudness_lufs(x, rate), abs=1e-6)
    text = format_report(report)
    assert text.splitlines() == [
        "duration        0:12.0 (12.0 s)",
        f"sample peak     {report.sample_peak_dbfs:.1f} dBFS",
        f"true peak       {report.true_peak_dbtp:.1f} dBTP",
        f"loudness        {report.integrated_lufs:.1f} LUFS integrated",
        "render speed    18.3x real time",
    ]


def test_format_report_for_long_silent_file_without_speed() -> None:
    report = RenderReport(599.96, -math.inf, -math.inf, -math.inf, None)
    text = format_report(report)
    assert text.splitlines()[0] == "duration        10:00.0 (600.0 s)"
    assert "render speed" not in text
    assert "silent" in text.splitlines()[3]
