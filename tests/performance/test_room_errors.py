"""Speakers, voices and macros in a performance file: each mistake gets one clear line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from symphony.errors import PerformanceError
from symphony.performance.loader import load_performance
from tests.performance.conftest import MINI

Show = Callable[..., Path]

PEOPLE = """
[[layers]]
name = "people"
patch = "../patches/people.py"

[[voices]]
target = "people.tone"
count = 3
[voices.params]
freq = { source = "heart_rate", in_range = [50, 100], out_range = [200, 800] }

[macros.blend]
mode = "crossfade"
targets = [{ target = "people.gain_db", to = -30 }, { target = "tone.gain_db", to = 0 }]
"""


def error_of(path: Path) -> str:
    with pytest.raises(PerformanceError) as info:
        load_performance(path)
    return str(info.value)


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def ring(show: Show, output: str, extra: str = "") -> Path:
    return show(MINI.replace("channels = 2", output) + PEOPLE + extra)


def test_voices_and_macros_load(show: Show) -> None:
    perf = load_performance(
        ring(show, "channels = 8\nspeakers = [0, 40, 90, 140, 180, 220, 270, 320]")
    )
    assert perf.spec.output.speaker_layout().angles == (0, 40, 90, 140, 180, 220, 270, 320)
    assert perf.spec.voices[0].count == 3 and "blend" in perf.spec.macros


@pytest.mark.parametrize(
    ("output", "needle", "expected"),
    [
        ("channels = 4\nspeakers = [0, 90, 180]", "speakers =", "3 speaker angles for 4 channels"),
        ('channels = 8\nlayout = "quad"', "layout =", "'quad' is 4 channels, not 8"),
        ('channels = 2\nlayout = "ring"', "layout =", "a ring needs at least 3 speakers"),
        ("channels = 4\nspeakers = [0, 20, 40, 60]", "speakers =", "too wide to pan across"),
        ('channels = 4\nlayout = "circle"', "layout =", "'stereo', 'quad' or 'ring'"),
        ('channels = 4\nlayout = "quad"\nspeakers = [0, 90, 180, 270]', "speakers =", "not both"),
    ],
)
def test_speaker_layout_errors_name_the_line(
    show: Show, output: str, needle: str, expected: str
) -> None:
    path = ring(show, output)
    msg = error_of(path)
    assert f"{path}:{line_of(path, needle)}:" in msg and expected in msg, msg


def test_a_layer_on_some_speakers_of_a_ring_must_surround_the_room(show: Show) -> None:
    path = ring(show, "channels = 8", "").with_suffix(".toml")
    text = path.read_text().replace(
        'patch = "../patches/people.py"', 'patch = "../patches/people.py"\nchannels = [1, 2, 3]'
    )
    path.write_text(text)
    msg = error_of(path)
    assert f"{path}:{line_of(path, 'channels = [1, 2, 3]')}:" in msg and "ring" in msg


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('target = "people.tone"', 'target = "people.tones"', "no voice family 'people.tones'"),
        ("freq = { source", "frq = { source", "has no parameter 'frq'"),
        ('source = "heart_rate", in', 'source = "heart_rat", in', "did you mean 'heart_rate'?"),
        ("out_range = [200, 800] }", "out_range = [20, 800] }", "leaves the range of 'freq'"),
        (
            'freq = { source = "heart_rate", in_range = [50, 100], out_range = [200, 800] }',
            'depth = { source = "breath_phase", in_range = [0, 0.5] }',
            "passes through",
        ),
        ("to = -30 }", "range = [0, -30] }", "blends each target towards 'to'"),
        ("to = 0 }", "to = 20 }", "20 is outside the range of 'tone.gain_db'"),
        ('"tone.gain_db", to', '"tone.gian_db", to', "did you mean 'tone.gain_db'?"),
    ],
)
def test_voice_and_macro_errors_name_the_line(
    show: Show, old: str, new: str, expected: str
) -> None:
    text = (MINI.replace("channels = 2", "channels = 8") + PEOPLE).replace(old, new)
    path = show(text)
    msg = error_of(path)
    assert expected in msg, msg
    assert f"{path}:{line_of(path, new)}:" in msg, msg
