"""Every way a performance or patch file can be wrong gets one clear line.

The message names the file, the line, the key and what was expected; the
CLI prints it alone, with exit status 2 and no traceback unless --debug.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from symphony.errors import PatchError, PerformanceError
from symphony.performance.loader import load_performance

Show = Callable[..., Path]


def error_of(path: Path) -> str:
    with pytest.raises((PerformanceError, PatchError)) as info:
        load_performance(path)
    return str(info.value)


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_the_fixture_is_valid(show: Show) -> None:
    perf = load_performance(show())
    assert perf.spec.performance.duration == 20.0
    assert perf.spec.timeline[1].at == 10.0


def test_toml_syntax_error_names_the_line(show: Show) -> None:
    path = show(replace=('title = "mini"', 'title = "mini'))
    msg = error_of(path)
    assert msg.startswith(f"{path}:{line_of(path, 'title =')}: not valid TOML")


def test_unknown_key_suggests_the_right_one(show: Show) -> None:
    path = show(replace=("crossfade = 4", "crossfde = 4"))
    msg = error_of(path)
    assert f"{path}:{line_of(path, 'crossfde')}" in msg
    assert "timeline[1].crossfde" in msg
    assert "did you mean 'crossfade'?" in msg


def test_wrong_channel_count_says_what_is_allowed(show: Show) -> None:
    path = show(replace=("channels = 2", "channels = 3"))
    msg = error_of(path)
    assert f"{path}:{line_of(path, 'channels = 3')}: key 'output.channels'" in msg
    assert "2, 4 or 8" in msg


def test_ceiling_can_never_be_raised_above_minus_one(show: Show) -> None:
    path = show(replace=("block_size = 256", "block_size = 256\nceiling_dbtp = 0.0"))
    msg = error_of(path)
    assert "key 'output.ceiling_dbtp'" in msg and "-1" in msg


def test_missing_duration(show: Show) -> None:
    path = show(replace=('duration = "0:20"\n', ""))
    msg = error_of(path)
    assert "performance.duration" in msg and "required key is missing" in msg
    assert f"{path}:{line_of(path, '[performance]')}" in msg


def test_bad_time_text(show: Show) -> None:
    path = show(replace=('at = "0:10"', 'at = "0:7x"'))
    msg = error_of(path)
    assert "timeline[1].at" in msg and "m:ss" in msg


def test_missing_patch_names_the_layer_and_line(show: Show) -> None:
    path = show(replace=('patch = "../patches/tone.py"', 'patch = "nosuch"'))
    msg = error_of(path)
    assert f"{path}:{line_of(path, 'nosuch')}" in msg
    assert "patch 'nosuch' not found" in msg


def test_unknown_scene_parameter_suggests(show: Show) -> None:
    path = show(replace=('"tone.amp" = 0.4', '"tone.ampp" = 0.4'))
    msg = error_of(path)
    assert f"{path}:{line_of(path, 'tone.ampp')}" in msg
    assert "no parameter 'tone.ampp'" in msg and "did you mean 'tone.amp'?" in msg


def test_value_outside_the_parameter_range(show: Show) -> None:
    path = show(replace=("freq = 330", "freq = 5"))
    msg = error_of(path)
    assert "5 is outside the range of 'tone.freq'" in msg and "100 to 2000 Hz" in msg


def test_mapping_output_outside_the_parameter_range(show: Show) -> None:
    path = show(replace=("out_range = [200, 800]", "out_range = [200, 8000]"))
    msg = error_of(path)
    assert "mappings[0].out_range" in msg and "100 to 2000 Hz" in msg


def test_unknown_feature(show: Show) -> None:
    path = show(replace=('"collective.heart_rate"', '"collective.heart_rat"'))
    msg = error_of(path)
    assert "unknown feature 'collective.heart_rat'" in msg and "heart_rate" in msg


def test_unknown_scene_in_timeline(show: Show) -> None:
    path = show(replace=('scene = "close"', 'scene = "closing"'))
    msg = error_of(path)
    assert "unknown scene 'closing'" in msg and "did you mean 'close'?" in msg


def test_cues_out_of_order(show: Show) -> None:
    path = show(replace=('at = "0:10"', 'at = "0:00"\n# moved'))
    path = show(
        text=path.read_text().replace("at = 0\n", 'at = "0:05"\n', 1),
    )
    msg = error_of(path)
    assert "cues must be in time order" in msg


def test_patch_with_syntax_error_names_patch_and_line(show: Show, tmp_path: Path) -> None:
    (tmp_path / "patches" / "tone.py").write_text("PARAMS = (\n\ndef build(ctx):\n  pass\n")
    msg = error_of(show())
    assert "patch 'tone' failed to load" in msg and "tone.py:" in msg


def test_patch_that_fails_to_build_is_named(show: Show, tmp_path: Path) -> None:
    from symphony.engine.patch import PatchContext, load_patch, run_build

    bad = tmp_path / "patches" / "broken.py"
    bad.write_text("PARAMS = ()\n\ndef build(ctx):\n    return 1 / 0\n")
    spec = load_patch(bad)
    with pytest.raises(PatchError) as info:
        run_build(spec, PatchContext(pyo=sys, channels=2, sample_rate=48000, params={}, voices={}))
    assert str(info.value).startswith(f"{bad}:4: patch 'broken' failed to build: ZeroDivisionError")


def test_patch_with_bad_declarations(tmp_path: Path) -> None:
    from symphony.engine.patch import load_patch

    bad = tmp_path / "odd.py"
    bad.write_text("PARAMS = [1, 2]\n\ndef build(ctx):\n    return None\n")
    with pytest.raises(PatchError, match="PARAMS must be a sequence of Param"):
        load_patch(bad)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "symphony.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_prints_one_line_and_exits_2(show: Show) -> None:
    path = show(replace=("channels = 2", "channels = 3"))
    for command in (["check", str(path)], ["render", str(path), "-o", str(path) + ".wav"]):
        result = run_cli(*command)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(f"symphony: error: {path}:")
        assert "Traceback" not in result.stderr


def test_cli_debug_shows_the_traceback(show: Show) -> None:
    path = show(replace=("channels = 2", "channels = 3"))
    result = run_cli("--debug", "check", str(path))
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_cli_check_accepts_a_good_file(show: Show) -> None:
    result = run_cli("check", str(show()))
    assert result.returncode == 0, result.stderr
    assert "ok: 'mini'" in result.stdout


def test_cli_rejects_an_unknown_output_format(show: Show, tmp_path: Path) -> None:
    result = run_cli("render", str(show()), "-o", str(tmp_path / "x.mp3"), "--duration", "1")
    assert result.returncode == 2
    assert "expected a .wav or .flac file name" in result.stderr
