"""The daily programme over a simulated day, and its TOML checks.

Real parts: the performance loader (schema, line finder, cross-references)
on files written here, and the pure programme functions stepped over a
whole day at one-minute resolution (a day in milliseconds, through the
same `DayClock` the player uses, driven by a test clock).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from symphony.errors import PerformanceError
from symphony.performance.loader import load_performance
from symphony.sanctuary.programme import (
    DayClock,
    ProgrammeRunner,
    looped_cues,
    programme_at,
)
from symphony.sanctuary.spec import DAY

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "fixtures" / "performances" / "mini.toml"

PROGRAMME = """
[programme]
timeline = "loop"
fade = "1:00"
quiet_fade = 120

[[programme.parts]]
at = "06:00"
scene = "open"
fade = "10:00"

[[programme.parts]]
at = "18:30"
scene = "close"

[[programme.quiet]]
start = "22:00"
end = "07:00"
cap_db = -20

[[programme.quiet]]
start = "03:00"
end = "04:00"
silence = true
"""


def write(tmp_path: Path, extra: str) -> Path:
    text = MINI.read_text().replace('patch = "../patches/tone.py"', 'patch = "{}"')
    text = text.replace("{}", str(ROOT / "tests" / "fixtures" / "patches" / "tone.py"))
    path = tmp_path / "show.toml"
    path.write_text(text + extra)
    return path


def hm(text: str) -> float:
    h, m = text.split(":")
    return int(h) * 3600.0 + int(m) * 60.0


def test_a_simulated_day(tmp_path: Path) -> None:
    programme = load_performance(write(tmp_path, PROGRAMME)).spec.programme
    assert programme is not None
    day = [programme_at(programme, minute * 60.0) for minute in range(24 * 60)]
    scenes = [at.scene for at in day]
    # Before 06:00 yesterday's last part (18:30, close) still plays.
    assert scenes[0] == "close" and scenes[int(hm("05:59") / 60)] == "close"
    assert scenes[int(hm("06:00") / 60)] == "open" and scenes[int(hm("18:29") / 60)] == "open"
    assert scenes[int(hm("18:30") / 60)] == "close"
    changes = [i for i in range(1, len(scenes)) if scenes[i] != scenes[i - 1]]
    assert [c * 60.0 for c in changes] == [hm("06:00"), hm("18:30")]
    dawn = day[int(hm("06:05") / 60)]
    assert dawn.fade == 600.0 and dawn.progress == pytest.approx(0.5)
    assert day[int(hm("18:31") / 60)].fade == 60.0  # the programme's default fade
    assert dawn.next_scene == "close" and dawn.next_in == hm("18:30") - hm("06:05")
    caps = {minute: at.cap_db for minute, at in enumerate(day)}
    assert caps[int(hm("12:00") / 60)] == 0.0
    assert caps[int(hm("23:00") / 60)] == -20.0 and day[int(hm("23:00") / 60)].quiet
    assert caps[int(hm("03:30") / 60)] == -60.0  # silence wins over the cap
    assert caps[int(hm("21:59") / 60)] == pytest.approx(-20.0 * (1 - 60 / 120))  # falling
    assert not day[int(hm("21:59") / 60)].quiet
    assert caps[int(hm("07:01") / 60)] == pytest.approx(-20.0 * (1 - 60 / 120))  # released
    assert caps[int(hm("07:02") / 60)] == 0.0
    # Nothing jumps: between two minutes the cap moves at most 20 dB/120 s * 60 s
    # (the silence's own edges are the steepest: 60 dB over 120 s).
    steps = [abs(caps[m] - caps[(m + 1) % len(caps)]) for m in caps]
    assert max(steps) <= 60.0 * 60 / 120 + 1e-9


def test_the_runner_calls_each_part_once_as_the_day_goes_by(tmp_path: Path) -> None:
    programme = load_performance(write(tmp_path, PROGRAMME)).spec.programme
    assert programme is not None
    show = [0.0]
    clock = DayClock(lambda: show[0], speed=600.0, start=hm("05:00"))
    runner = ProgrammeRunner(programme, clock)
    calls = []
    for tick in range(round(DAY / 600.0 * 2 * 10)):  # two accelerated days, 0.1 s a tick
        show[0] = tick / 10.0
        for scene, fade in runner.due():
            calls.append((round(clock() / 60.0), scene, fade))
    assert calls[0] == (300, "close", 0.0)  # at once, at the start
    assert [c[1] for c in calls] == ["close", "open", "close", "open", "close"]
    assert [c[0] for c in calls[1:3]] == [360, 1110]  # 06:00 and 18:30
    assert calls[1][2] == pytest.approx(600.0, abs=60.0)  # the part's own fade, less its lag


def test_a_looped_timeline_comes_back_every_pass() -> None:
    from symphony.performance.schema import Cue

    cues = [Cue(at=0.0, scene="a", crossfade=2.0), Cue(at=10.0, scene="b", crossfade=4.0)]
    assert looped_cues(cues, 20.0, 0.0, 19.9) == []  # the first pass is the conductor's
    due = looped_cues(cues, 20.0, 19.9, 45.0)
    assert [(c.at, c.scene, c.crossfade) for c in due] == [
        (20.0, "a", 2.0),
        (30.0, "b", 4.0),
        (40.0, "a", 2.0),
    ]


@pytest.mark.parametrize(
    ("extra", "key", "says"),
    [
        ('[programme]\ntimeline = "again"\n', "programme.timeline", "'loop' or 'hold'"),
        ('[[programme.parts]]\nat = "25:00"\nscene = "open"\n', "programme.parts[0].at", "not a"),
        ('[[programme.parts]]\nat = "06:00"\nscene = "dusk"\n', "programme.parts[0].scene", "dusk"),
        ('[[programme.quiet]]\nstart = "22:00"\nend = "06:00"\n', "programme.quiet[0]", "cap_db"),
        ("[programme]\nfadein = 3\n", "programme.fadein", "unknown key"),
        ("[sanctuary]\nhouse_limit_db_laeq = 120\n", "sanctuary.house_limit_db_laeq", "100"),
    ],
)
def test_bad_programme_keys_name_file_line_and_key(
    tmp_path: Path, extra: str, key: str, says: str
) -> None:
    path = write(tmp_path, "\n" + extra)
    with pytest.raises(PerformanceError) as caught:
        load_performance(path)
    error = caught.value
    text = str(error)
    assert key in text and says in text, text
    assert str(path) in text
    assert error.line is not None and error.line > len(MINI.read_text().splitlines())
