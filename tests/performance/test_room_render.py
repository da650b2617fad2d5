"""Each participant's own voice where the layout says, through a whole render.

The room stage (fades, quality gate, consent) hands `RoomVoices` a list of
`Presence` at every room update. Here a small adapter plays that part: a
scripted room in which people join at different times, are seated by
`SeatMap` on the ring, fade in, and one leaves; each person's heart rate
(their own feature) sets their voice's pitch. The render must put each
person's pitch on the speakers their seat says, at their own level, and
their voice must go quiet after they leave.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from symphony.collective.room import ROOM_HOP
from symphony.collective.voices import SeatMap
from symphony.collective.voicing import Presence, RoomVoices
from symphony.engine.offline import render_offline
from symphony.engine.patch import load_patch
from symphony.mapping.layout import ControlLayout
from symphony.mapping.schedule import changes_to_schedule
from symphony.performance.schema import PerformanceSpec
from tests.engine.test_person_voices import amplitude

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = ROOT / "tests" / "fixtures" / "patches" / "people.py"
SR = 48000
# name: (joins at s, leaves at s, heart rate in bpm -> pitch 100 + 10 * (hr - 50) Hz)
ROOM = {
    "anna": (0.0, None, 70.0),
    "ben": (0.5, None, 90.0),
    "chloe": (1.0, 6.0, 110.0),
    "dev": (1.5, None, 130.0),
    "emil": (2.0, None, 150.0),
}
DURATION = 10.0
FADE_IN = 1.0


def pitch(hr: float) -> float:
    return 100.0 + 10.0 * (hr - 50.0)


def room_spec(output: dict[str, object]) -> PerformanceSpec:
    return PerformanceSpec.model_validate(
        {
            "performance": {"duration": DURATION},
            "output": output,
            "layers": [{"name": "room", "patch": str(PEOPLE), "params": {"amp": 0.1}}],
            "voices": [
                {
                    "target": "room.tone",
                    "count": 8,
                    "fade": 0.5,
                    "params": {
                        "freq": {
                            "source": "heart_rate",
                            "in_range": [50, 440],
                            "out_range": [100, 4000],
                        }
                    },
                }
            ],
        }
    )


def scripted_room(t: float, seats: SeatMap) -> list[Presence]:
    """The adapter: who is in the room at `t`, in join order, as the room hears them."""
    here = [p for p, (at, left, _) in ROOM.items() if at <= t and (left is None or t < left)]
    seats.sync(here)
    return [
        Presence(
            p, min(1.0, (t - ROOM[p][0]) / FADE_IN), seats.seat(p), {"heart_rate": ROOM[p][2]}, True
        )
        for p in here
    ]


@pytest.mark.parametrize(
    "output",
    [
        {"channels": 8, "layout": "ring"},
        {"channels": 8, "speakers": [-30, 30, 75, 120, 170, -150, -110, -70]},
    ],
    ids=["ring8", "irregular8"],
)
def test_each_participants_voice_sounds_from_their_seat(
    output: dict[str, object], tmp_path: Path
) -> None:
    spec = room_spec(output)
    patches = {"room": load_patch(PEOPLE)}
    layout = ControlLayout(spec, patches)
    voices = RoomVoices(spec, layout)
    seats = SeatMap(circular=True)
    updates, seen = [], {}
    for k in range(int(DURATION / ROOM_HOP)):
        t = k * ROOM_HOP
        updates.append((t, voices.update(t, scripted_room(t, seats))))
        seen.update(seats.seats)
    timed = [(t, [(target, value) for target, value, _who in c]) for t, c in updates]
    schedule = changes_to_schedule(timed, SR, spec.output.block_size)
    path = tmp_path / "room.wav"
    initial = layout.initial_values(spec, spec.output)
    render_offline(spec, patches, layout, initial, schedule, path, DURATION, seed=1)
    x, _ = sf.read(path, always_2d=True)
    speakers = spec.output.speaker_layout()
    # Seats on the ring, each in the middle of the widest free arc when they came.
    assert [seen[p] for p in ROOM] == [0.0, 0.5, 0.25, 0.75, 0.125]
    window = x[int(3.5 * SR) : int(5.9 * SR)]  # everyone in, faded in; chloe still here
    for p, (_, _, hr) in ROOM.items():
        measured = amplitude(window, pitch(hr))
        total = float(np.linalg.norm(measured))
        assert total == pytest.approx(0.1, rel=0.02), p
        np.testing.assert_allclose(measured / total, speakers.gains(seen[p]), atol=2e-3, err_msg=p)
    after = x[int(7.0 * SR) :]  # chloe left at 6 s: her voice faded out over 0.5 s
    assert np.linalg.norm(amplitude(after, pitch(110.0))) < 1e-4
    assert np.linalg.norm(amplitude(after, pitch(70.0))) == pytest.approx(0.1, rel=0.02)


def test_ring8_renders_from_simulated_participants(tmp_path: Path) -> None:
    out = tmp_path / "ring8.wav"
    done = subprocess.run(
        [sys.executable, "-m", "symphony.cli", "render", str(ROOT / "performances" / "ring8.toml"),
         "-o", str(out), "--duration", "0:25", "--quiet"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    x, rate = sf.read(out, always_2d=True)
    assert rate == 48000 and x.shape[1] == 8
    level = np.sqrt(np.mean(x[int(15 * rate) :] ** 2, axis=0))
    assert np.all(level > 10 ** (-50 / 20)), level  # every speaker of the ring plays


@pytest.mark.parametrize(
    "output",
    [
        {"channels": 4, "layout": "quad"},
        {"channels": 8, "speakers": [-30, 30, 75, 120, 170, -150, -110, -70]},
    ],
    ids=["quad", "irregular8"],
)
def test_every_shipped_patch_plays_on_quad_and_an_irregular_ring(
    output: dict[str, object], tmp_path: Path
) -> None:
    from symphony.engine.patch import load_patch as load
    from symphony.performance.loader import Performance, load_performance
    from symphony.performance.render import render_performance
    from symphony.performance.schema import LayerSpec, OutputSpec

    ring8 = load_performance(ROOT / "performances" / "ring8.toml")
    spec = ring8.spec.model_copy(
        update={
            "output": OutputSpec.model_validate(output),
            "layers": [
                *(layer.model_copy(update={"gain_db": -6.0}) for layer in ring8.spec.layers),
                LayerSpec(name="mosaic", patch="mosaic", gain_db=-6.0),
            ],
            "scenes": {},
            "timeline": [],
        }
    )
    patches = {**ring8.patches, "mosaic": load(ROOT / "patches" / "mosaic.py")}
    perf = Performance(spec=spec, path=ring8.path, patches=patches)
    out = tmp_path / "room.wav"
    result = render_performance(perf, out, duration=6.0, participants=6)
    x, _ = sf.read(out, always_2d=True)
    assert x.shape[1] == output["channels"] and np.isfinite(x).all()
    level = np.sqrt(np.mean(x[int(3 * SR) :] ** 2, axis=0))
    assert np.all(level > 10 ** (-45 / 20)), level
    assert result.report.true_peak_dbtp <= -1.0 + 1e-6
