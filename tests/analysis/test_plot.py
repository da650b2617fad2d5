"""Tests for the performance overview plot, with a realistic synthetic show as input."""

from __future__ import annotations

import math
import struct
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from scipy.signal import lfilter

from symphony.analysis.plot import (
    _decimate,
    _format_value,
    _resample,
    performance_figure,
    plot_performance,
)

FloatArray = npt.NDArray[np.float64]

SCENES: list[tuple[float, str]] = [
    (0.0, "arrival"),
    (90.0, "breathing together"),
    (240.0, "pulse"),
    (380.0, "storm"),
    (470.0, "release"),
    (540.0, "stillness"),
]

# (scene start s, heart-rate offset bpm, breath rate breaths/min, arousal 0..1, synchrony 0..1)
_SCENE_TARGETS = [
    (0.0, 0.0, 15.0, 0.35, 0.15),
    (90.0, -4.0, 9.0, 0.25, 0.55),
    (240.0, 6.0, 13.0, 0.55, 0.45),
    (380.0, 16.0, 17.0, 0.85, 0.7),
    (470.0, 4.0, 12.0, 0.45, 0.5),
    (540.0, -6.0, 8.0, 0.15, 0.8),
]


def _scene_curve(t: FloatArray, column: int, smooth_s: float) -> FloatArray:
    """Piecewise-constant scene targets, smoothed like a body (or a ramp) following them."""
    starts = np.array([row[0] for row in _SCENE_TARGETS])
    levels = np.array([row[column] for row in _SCENE_TARGETS])
    steps = levels[np.searchsorted(starts, t, side="right") - 1]
    dt = float(np.median(np.diff(t))) if len(t) > 1 else 1.0
    alpha = 1.0 - math.exp(-dt / smooth_s)
    return np.asarray(lfilter([alpha], [1.0, alpha - 1.0], steps, zi=[(1 - alpha) * steps[0]])[0])


def _ar1(rng: np.random.Generator, n: int, rho: float, scale: float) -> FloatArray:
    return np.asarray(lfilter([1.0], [1.0, -rho], rng.standard_normal(n) * scale))


def synthetic_performance(
    n_participants: int, seed: int = 0, duration_s: float = 600.0
) -> dict[str, Any]:
    """Keyword arguments for `plot_performance` describing a plausible 10-minute show.

    Participants join a few seconds apart, follow the scenes with their own
    baseline and noise, and drop out now and then (NaN gaps, as when a
    sensor slips). Synchrony rises through the show; automation follows the
    scenes in native units.
    """
    rng = np.random.default_rng(seed)
    frame_rate = 4.0
    times_by_participant: dict[str, FloatArray] = {}
    participant_features: dict[str, dict[str, FloatArray]] = {}
    for i in range(n_participants):
        name = f"P{i + 1:02d}"
        start = float(rng.uniform(0.0, 15.0))
        t = np.arange(start, duration_s, 1.0 / frame_rate)
        n = len(t)
        lag = float(rng.uniform(10.0, 40.0))
        hr = rng.uniform(62, 84) + _scene_curve(t, 1, lag) + _ar1(rng, n, 0.995, 0.35)
        breath = _scene_curve(t, 2, lag) + rng.uniform(-1.5, 1.5) + _ar1(rng, n, 0.99, 0.08)
        arousal = np.clip(_scene_curve(t, 3, lag) + _ar1(rng, n, 0.99, 0.015), 0, 1)
        relaxation = np.clip(1.0 - arousal + _ar1(rng, n, 0.99, 0.015) - 0.1, 0, 1)
        features = {
            "heart_rate": hr,
            "breath_rate": breath,
            "arousal": arousal,
            "relaxation": relaxation,
        }
        for _ in range(int(rng.integers(0, 3))):  # sensor drop-outs
            gap_start = int(rng.integers(0, n - 200))
            gap_len = int(rng.integers(20, 200))
            for values in features.values():
                values[gap_start : gap_start + gap_len] = np.nan
        times_by_participant[name] = t
        participant_features[name] = features

    collective_times = np.arange(0.0, duration_s, 0.5)
    synchrony = np.clip(
        _scene_curve(collective_times, 4, 20.0) + _ar1(rng, len(collective_times), 0.98, 0.02),
        0,
        1,
    )
    per_person = [
        np.interp(
            collective_times, t, participant_features[p]["arousal"], left=np.nan, right=np.nan
        )
        for p, t in times_by_participant.items()
    ]
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN before anyone joined
        collective_arousal = np.nanmean(per_person, axis=0)
    collective_features = {
        "synchrony": synchrony,
        "arousal": collective_arousal,
        "breath_coherence": np.clip(0.8 * synchrony + 0.1, 0, 1),
    }

    automation_times = np.arange(0.0, duration_s, 0.05)
    arousal_a = np.clip(_scene_curve(automation_times, 3, 8.0), 0, 1)
    sync_a = np.clip(_scene_curve(automation_times, 4, 8.0), 0, 1)
    beat = 0.5 + 0.5 * np.sin(2 * np.pi * automation_times / 0.9)
    automation = {
        "drone.cutoff": 300.0 * (1 + 10.0 * arousal_a**2),
        "drone.gain": -30.0 + 18.0 * (1 - arousal_a),
        "drone.detune": 2.0 + 12.0 * (1 - sync_a),
        "pulse.rate": 0.5 + 3.0 * arousal_a,
        "pulse.gain": -40.0 + 30.0 * arousal_a,
        "heartbeat.gain": -24.0 + 6.0 * beat * sync_a,
        "shimmer.mix": 0.1 + 0.8 * sync_a,
        "shimmer.size": 0.3 + 0.6 * (1 - arousal_a),
        "breath.filter_q": 0.7 + 6.0 * sync_a**2,
        "master.reverb": 0.2 + 0.5 * (1 - arousal_a),
    }
    automation["pulse.gain"][(automation_times > 520) & (automation_times < 535)] = np.nan

    return {
        "times_by_participant": times_by_participant,
        "participant_features": participant_features,
        "collective_times": collective_times,
        "collective_features": collective_features,
        "automation_times": automation_times,
        "automation": automation,
        "scenes": SCENES,
        "title": f"Neuro-Symphony rehearsal · {n_participants} participants",
    }


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header: proves it is a real PNG of the intended size."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _panel_colour_count(path: Path) -> int:
    """Distinct colours in the image: a blank or single-colour picture has very few."""
    import matplotlib.image as mpimg

    image = mpimg.imread(path)
    rgb = (image[..., :3] * 255).astype(np.uint32).reshape(-1, 3)
    return len(np.unique((rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]))


@pytest.mark.parametrize("n_participants", [1, 40])
def test_plot_writes_png_with_gaps(tmp_path: Path, n_participants: int) -> None:
    kwargs = synthetic_performance(n_participants, seed=n_participants, duration_s=300.0)
    first = next(iter(kwargs["participant_features"].values()))
    first["heart_rate"][100:180] = np.nan  # make sure a gap is present even for one person
    assert np.isnan(first["heart_rate"]).any()
    path = tmp_path / "nested" / "performance.png"
    with np.errstate(all="raise", under="ignore"):  # NaN gaps must be handled, not warned
        plot_performance(path, **kwargs)
    assert _png_size(path) == (14 * 110, 12 * 110)  # 14 x 12 in at 110 dpi
    assert path.stat().st_size > 50_000
    assert _panel_colour_count(path) > 500


def test_plot_handles_mixed_scale_collective_and_all_nan_feature(tmp_path: Path) -> None:
    kwargs = synthetic_performance(3, seed=3, duration_s=120.0)
    kwargs["collective_features"]["heart_rate_median"] = np.full(
        len(kwargs["collective_times"]), 72.0
    )
    for features in kwargs["participant_features"].values():
        features["skin_conductance"] = np.full(len(features["heart_rate"]), np.nan)
    path = tmp_path / "mixed.png"
    plot_performance(path, **kwargs)
    assert _png_size(path)[0] == 14 * 110


def test_plot_with_nothing_but_a_title(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    plot_performance(
        path,
        times_by_participant={},
        participant_features={},
        collective_times=None,
        collective_features={},
        automation_times=None,
        automation={},
        scenes=[],
        title="empty",
    )
    assert _png_size(path) == (14 * 110, 12 * 110)


def test_plot_skips_participant_without_times(tmp_path: Path) -> None:
    """Features for a participant without times are skipped, not a crash or a wrong line."""
    kwargs = synthetic_performance(2, seed=5, duration_s=60.0)
    kwargs["participant_features"]["ghost"] = {"heart_rate": np.ones(10)}
    path = tmp_path / "ghost.png"
    plot_performance(path, **kwargs)
    assert path.stat().st_size > 0


def test_figure_structure_matches_inputs() -> None:
    """Panels, participant lines, median, scene lines and labels, automation rows."""
    kwargs = synthetic_performance(5, seed=9, duration_s=600.0)
    fig = performance_figure(**kwargs)
    axes = fig.get_axes()
    # 4 participant features (heart rate first), collective, automation
    assert len(axes) == 6
    assert "heart rate" in axes[0].get_ylabel()
    assert "breath rate" in axes[1].get_ylabel()
    labels = [line.get_label() for line in axes[0].get_lines()]
    assert [label for label in labels if label.startswith("P")] == [f"P0{i}" for i in range(1, 6)]
    assert "group median" in labels
    scene_lines = [ln for ln in axes[0].get_lines() if ln.get_linestyle() == "--"]
    assert len(scene_lines) == len(SCENES)
    for ax in axes:
        starts = sorted(
            float(np.asarray(ln.get_xdata())[0])
            for ln in ax.get_lines()
            if ln.get_linestyle() == "--"
        )
        np.testing.assert_allclose(starts, [t / 60 for t, _ in SCENES])
    top_texts = {t.get_text().strip() for t in axes[0].texts}
    assert {name for _, name in SCENES} <= top_texts
    image = axes[-1].get_images()[0].get_array()
    assert image is not None
    assert image.shape[0] == len(kwargs["automation"])
    assert float(image.min()) == pytest.approx(0.0) and float(image.max()) == pytest.approx(1.0)
    gap_row = list(kwargs["automation"]).index("pulse.gain")
    assert np.ma.is_masked(image[gap_row])  # the automation gap stays a gap
    last = max(float(t[-1]) for t in kwargs["times_by_participant"].values())
    assert axes[-1].get_xlim() == pytest.approx((0.0, max(last, 599.95) / 60), abs=1e-9)


def test_decimate_and_resample_keep_gaps_as_gaps() -> None:
    """Display helpers must not bridge a sensor drop-out with a made-up line."""
    t = np.arange(20_000) / 10.0
    v = np.sin(t)
    v[5000:7000] = np.nan
    td, vd = _decimate(t, v, max_points=1000)
    assert len(td) == 1000
    assert np.isnan(vd[(td > 510) & (td < 690)]).all()
    assert np.isfinite(vd[td < 490]).all()
    sparse = np.sin(t)
    sparse[::50] = np.nan  # single dropped frames must not blank whole display bins
    assert np.isfinite(_decimate(t, sparse, max_points=1000)[1]).all()
    grid = np.linspace(-10.0, 2100.0, 3000)
    r = _resample(t, v, grid)
    assert np.isnan(r[grid < 0]).all() and np.isnan(r[grid > t[-1]]).all()
    assert np.isnan(r[(grid > 500) & (grid < 700)]).all()
    inside = (grid > 10) & (grid < 490)
    np.testing.assert_allclose(r[inside], np.sin(grid[inside]), atol=0.01)


def test_range_labels_are_readable() -> None:
    assert _format_value(2467.3) == "2467"
    assert _format_value(-27.34) == "-27.3"
    assert _format_value(0.835) == "0.835"
    assert _format_value(float("nan")) == "n/a"


if __name__ == "__main__":  # writes the example picture for eyeballing
    import sys

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "performance_example.png")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    plot_performance(out, **synthetic_performance(n))
    print(out)
