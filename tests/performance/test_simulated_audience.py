"""A simulated audience a performer can rehearse a convergence with, in render and live.

`[participants] coupling` and the scenes' `coupling` set how together the
simulated bodies are, `[[participants.script]]` who joins and leaves when;
the keys are checked like every other (file, line, key), and the room hears
the result through the features as it would hear people.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from symphony.collective.room import Room, RoomFrame
from symphony.errors import PerformanceError, SymphonyError
from symphony.inputs.sources.simulated_source import from_spec
from symphony.performance.loader import load_performance
from symphony.performance.room_plan import run_room
from symphony.performance.simulation import coupling_script, participant_tracks
from symphony.performance.sources import live_sources

Show = Callable[..., Path]

AUDIENCE = """[participants]
count = 4
voices = 2
coupling = 1.0

[[participants.script]]
at = 20
join = 2

[[participants.script]]
at = "1:00"
leave = ["p02"]
"""


def _audience(show: Show, text: str = AUDIENCE) -> Path:
    return show(replace=("[participants]\ncount = 3\nvoices = 2\n", text))


def _error(path: Path) -> str:
    with pytest.raises(PerformanceError) as info:
        load_performance(path)
    return str(info.value)


def _line(path: Path, needle: str) -> int:
    lines = path.read_text().splitlines()
    return next(k for k, line in enumerate(lines, start=1) if needle in line)


def test_coupling_out_of_range_names_file_line_and_key(show: Show) -> None:
    path = _audience(show, AUDIENCE.replace("coupling = 1.0", "coupling = 1.5"))
    msg = _error(path)
    assert f"{path}:{_line(path, 'coupling = 1.5')}" in msg
    assert "participants.coupling" in msg


def test_a_misspelt_script_key_is_caught(show: Show) -> None:
    path = _audience(show, AUDIENCE.replace("join = 2", "jion = 2"))
    msg = _error(path)
    assert f"{path}:{_line(path, 'jion')}" in msg
    assert "participants.script[0].jion" in msg and "did you mean 'join'?" in msg


def test_a_scene_sets_the_coupling_at_its_cue(show: Show) -> None:
    scene = 'participants = "aroused"\n'
    path = show(replace=(scene, scene + "coupling = 0.8\n"))
    spec = load_performance(path).spec
    [change] = coupling_script(spec)
    assert (change.at, change.coupling, change.ramp) == (10.0, 0.8, 4.0)
    bad = show(replace=(scene, scene + "coupling = -1\n"))
    assert "scenes.close.coupling" in _error(bad)


def test_a_script_that_does_not_fit_the_count_is_one_clear_error(show: Show) -> None:
    spec = load_performance(_audience(show, AUDIENCE.replace('["p02"]', '["p09"]'))).spec
    with pytest.raises(SymphonyError) as info:
        participant_tracks(spec, 70.0, 1, 4, 50.0)
    assert info.value.key == "participants.script" and "'p09' is not there" in str(info.value)


def test_a_coupled_audience_comes_and_goes_and_converges_in_a_render(show: Show) -> None:
    spec = load_performance(_audience(show)).spec
    tracks, _ = participant_tracks(spec, 110.0, 2, 4, 50.0)
    assert [t.participant for t in tracks] == [f"p0{i}" for i in range(1, 7)]
    frames: list[RoomFrame] = []
    timeline = run_room(Room(), tracks, 50.0, tracks[0].n_frames, frames.append)
    joined = {p: f.time for f in frames for p in f.joined}
    left = {p: f.time for f in frames for p in f.left}
    assert 20.0 <= joined["p05"] < 22.0 and 20.0 <= joined["p06"] < 22.0
    assert 60.0 < left["p02"] < 75.0 and set(left) == {"p02"}
    events = [e for f in frames for e in f.events]
    assert [e.source for e in events] == ["convergence"]
    assert events[0].time >= 45.0 + 20.0  # history filled, then held for 20 s
    end = {k: v[-1] for k, v in timeline.values.items()}
    assert end["convergence"] == 1.0
    assert end["heart_rate_isc"] > 0.5 and end["heart_rate_isc_p"] < 0.05
    assert end["breath_sync"] > 0.5 and end["breath_sync_p"] < 0.05
    assert np.all(timeline.values["breath_sync_p"][: 45 * 50] == 1.0)


def test_live_rehearsal_plays_the_same_script(show: Show) -> None:
    performance = load_performance(_audience(show))
    [source], _ = live_sources(
        performance.spec, performance.path, None, 2, lambda: 0.0, duration=70.0
    )
    spec = source.spec  # type: ignore[attr-defined]
    assert spec.coupling == 1.0 and [m.join for m in spec.moves] == [2, 0]
    source.open()
    assert source._spans["p02"] == [(0.0, 60.0)]  # type: ignore[attr-defined]
    with pytest.raises(SymphonyError) as info:
        from_spec({"kind": "simulated", "participants": 2, "moves": [{"at": 5, "leave": 3}]})
    assert info.value.key == "moves"
