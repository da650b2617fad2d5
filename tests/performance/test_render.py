"""Rendering performances with the real pyo engine, end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from symphony.analysis.meters import integrated_loudness_lufs, true_peak_dbtp
from symphony.performance.loader import load_performance
from symphony.performance.render import plot_render, render_performance

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "performances" / "demo.toml"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def demo_renders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo's glitch section (dropouts, restless bodies) rendered three times."""
    tmp = tmp_path_factory.mktemp("renders")
    perf = load_performance(DEMO)
    out = {}
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        path = tmp / f"{name}.wav"
        render_performance(perf, path, duration=25.0, seed=seed, participants=5)
        out[name] = path
    return out


def test_demo_output_is_audible_finite_and_under_the_ceiling(demo_renders) -> None:
    x, sr = sf.read(demo_renders["a"], always_2d=True)
    assert sr == 48000 and x.shape[1] == 2
    assert x.shape[0] >= 25 * sr
    assert np.all(np.isfinite(x))
    assert true_peak_dbtp(x, sr) <= -1.0
    assert integrated_loudness_lufs(x, sr) > -40.0  # audible, even with the fade-in


def test_same_seed_renders_bit_identical_files(demo_renders) -> None:
    a = Path(demo_renders["a"]).read_bytes()
    b = Path(demo_renders["b"]).read_bytes()
    assert a == b
    c = Path(demo_renders["c"]).read_bytes()
    assert a != c  # another seed: other bodies, other sound


def test_sensor_faults_in_the_inputs_never_reach_the_output(tmp_path: Path) -> None:
    """NaN, +-inf, 1e30 spikes, flat and railed channels in every participant's signals."""
    text = (FIXTURES / "performances" / "mini.toml").read_text()
    text = text.replace('participants = "aroused"', 'participants = "aroused"\ndropouts = 3')
    text = text.replace("count = 3", "count = 3")
    (tmp_path / "performances").mkdir()
    import shutil

    shutil.copytree(FIXTURES / "patches", tmp_path / "patches")
    path = tmp_path / "performances" / "faulty.toml"
    path.write_text(text)
    perf = load_performance(path)
    result = render_performance(perf, tmp_path / "faulty.wav", seed=4)
    kinds = {f.kind for f in result.plan.faults}
    assert len(result.plan.faults) == 3 and len(kinds) == 3
    for values in result.plan.automation.values():
        assert np.all(np.isfinite(values))
    assert np.all(np.isfinite(result.plan.schedule.values))
    x, sr = sf.read(tmp_path / "faulty.wav", always_2d=True)
    assert np.all(np.isfinite(x))
    assert true_peak_dbtp(x, sr) <= -1.0
    late = x[int(15 * sr) :]
    assert float(np.sqrt(np.mean(late**2))) > 1e-3  # the sound goes on through the faults


def test_plot_is_written(tmp_path: Path) -> None:
    perf = load_performance(FIXTURES / "performances" / "mini.toml")
    result = render_performance(perf, tmp_path / "m.wav", duration=8.0)
    png = tmp_path / "m.png"
    plot_render(result, png, "mini")
    assert png.stat().st_size > 20_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_render_prints_the_report(tmp_path: Path) -> None:
    out = tmp_path / "cli.flac"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "symphony.cli",
            "render",
            str(DEMO),
            "-o",
            str(out),
            "--duration",
            "0:06",
            "--seed",
            "3",
            "--participants",
            "2",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for label in ("duration", "sample peak", "true peak", "loudness", "render speed"):
        assert label in result.stdout
    assert "dBTP" in result.stdout and "LUFS" in result.stdout
    info = sf.info(out)
    assert info.format == "FLAC" and info.channels == 2 and info.duration >= 6.0


def test_parallel_planning_gives_the_same_tracks_as_one_process() -> None:
    from symphony.features.simple import extract_features
    from symphony.performance.simulation import participant_tracks, simulate

    spec = load_performance(DEMO).spec
    parallel, _ = participant_tracks(spec, 30.0, 5, 3, 50.0)
    recordings, _ = simulate(spec, 30.0, 5, 3)
    serial = [extract_features(r, rate=50.0) for r in recordings]
    assert [t.participant for t in parallel] == ["p01", "p02", "p03"]
    for a, b in zip(parallel, serial, strict=True):
        for name in a.values:
            np.testing.assert_array_equal(a.values[name], b.values[name])
        np.testing.assert_array_equal(a.events["heartbeat"], b.events["heartbeat"])
