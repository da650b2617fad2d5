"""People join and leave a live show on JACK, over OSC and LSL; an empty room plays.

The real `symphony live` command plays a performance whose tone follows the
room's heart rate (`collective.heart_rate` -> `tone.freq`, no smoothing, so
nothing but the room's own fades stands between a join and the sound). Three
people stream clean pulse waves over OSC (55, 70 and 95 bpm) and a fourth
(100 bpm) from a real pylsl outlet that appears mid-show. Then one OSC
sender stops and the LSL outlet is destroyed. Each change moves the room's
median heart rate by a fifth of the mapping's input range or more; played
without the fades that would be a jump of as much of the tone's range in
one room update. The session log holds every change the engine applied,
block by block: the largest change must stay well below such a jump (the
fades move weights in 1/64 steps per update), and the room must really
have moved through the joins and leaves.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from symphony.mapping.layout import ControlLayout
from symphony.performance.loader import load_performance
from symphony.session.log import read_session
from tests.jack_server import Capture, jack_server
from tests.live.room_show import LslPerson, OscPerson, Show, free_port

pytest.importorskip("pylsl")

PATCH = Path(__file__).resolve().parents[1] / "fixtures" / "patches" / "tone.py"
OUTS = ["symphony:out_1", "symphony:out_2"]
LOW, HIGH = 200.0, 500.0  # tone.freq's out_range: the value range the steps are measured in

PERFORMANCE = """
[performance]
title = "join and leave"
duration = "5:00"
seed = 2

[output]
block_size = 256

[[sources]]
name = "phones"
kind = "osc"
port = {port}
consent = true

[[sources]]
name = "lab"
kind = "lsl"
consent = true
resolve_timeout = 0.5
stall_timeout = 2.0
streams = [{{ name = "{stream}", participant = "lena" }}]

[[layers]]
name = "tone"
patch = "{patch}"
gain_db = -6

[layers.params]
freq = 330
amp = 0.3

[[mappings]]
name = "heart"
source = "collective.heart_rate"
target = "tone.freq"
in_range = [50, 110]
out_range = [{low}, {high}]
smoothing = 0.0

[scenes.bed]
params = {{ "tone.amp" = 0.3 }}

[[timeline]]
at = 0
scene = "bed"
crossfade = 0
"""


def _performance(tmp_path: Path, port: int, stream: str) -> Path:
    path = tmp_path / "room.toml"
    text = PERFORMANCE.format(port=port, stream=stream, patch=PATCH, low=LOW, high=HIGH)
    path.write_text(text)
    return path


def _heard(line: str) -> int:
    match = re.search(r"people heard (\d+)", line)
    assert match, line
    return int(match.group(1))


def freq_changes(perf_path: Path, log: Path) -> tuple[np.ndarray, np.ndarray]:
    """(blocks, values) of every change the engine applied to tone.freq."""
    perf = load_performance(perf_path)
    target = ControlLayout(perf.spec, perf.patches).index("tone.freq")
    schedule = read_session(log).schedule
    mine = schedule.targets == target
    return schedule.blocks[mine].astype(np.int64), schedule.values[mine].astype(np.float64)


def max_step_per_block(blocks: np.ndarray, values: np.ndarray) -> float:
    """The largest change between two applied values, per block between them."""
    gaps = np.maximum(np.diff(blocks), 1)
    return float(np.max(np.abs(np.diff(values)) / gaps))


def test_people_join_and_leave_over_osc_and_lsl_without_jumps(tmp_path: Path) -> None:
    port = free_port()
    stream = f"symphony-join-{port}"
    perf = _performance(tmp_path, port, stream)
    log = tmp_path / "show.session"
    osc = {
        who: OscPerson(who, port, bpm, seed=i)
        for i, (who, bpm) in enumerate((("ana", 55.0), ("bo", 70.0), ("cy", 95.0)))
    }
    lena = LslPerson(stream, 100.0, seed=7)
    with jack_server():
        show = Show(perf, log)
        try:
            show.wait_started()
            for person in osc.values():
                person.start()
            show.wait_for(lambda: any(_heard(x) == 3 for x in show.status_lines()), "3 heard")
            lena.start()  # a stream appears
            show.wait_for(lambda: any(_heard(x) == 4 for x in show.status_lines()), "4 heard")
            osc["cy"].stop()  # a sender stops
            lena.stop()  # the outlet is destroyed
            # Gated (their signal stops), faded out, then gone: only ana and bo remain.
            show.wait_for(
                lambda: "people heard 2  " in show.status_lines()[-1],
                "cy and lena to be gone",
                deadline=90.0,
            )
        finally:
            for person in (*osc.values(), lena):
                person.stop()
            code = show.stop()
            print(show.output)
    assert code == 0, show.output[-3000:]
    blocks, values = freq_changes(perf, log)
    span = HIGH - LOW
    # The room moved: from the bed (330 Hz) towards the three (median 70 bpm ->
    # 300 Hz), up with lena (82.5 bpm -> 362.5 Hz), down to ana and bo (62.5 bpm
    # -> 262.5 Hz): each change a fifth of the range or more.
    assert values.max() - values.min() > 0.25 * span, (values.min(), values.max())
    assert abs(values[-1] - 262.5) < 0.05 * span, values[-1]
    # No jump. The room changes its values once per update (0.04 s, 7.5 blocks),
    # so each applied change is one update's move. Without the fades, lena's
    # join would move the tone by 0.21 of its range in one change and the two
    # leaving by 0.33; with them a change is a 1/64 fade step plus the heart
    # rate estimates' own beat-to-beat steps (a few hundredths).
    per_change = float(np.max(np.abs(np.diff(values)))) / span
    per_block = max_step_per_block(blocks, values) / span
    print(
        f"largest tone.freq change: {per_change:.4f} of its range per change, "
        f"{per_block:.5f} per block"
    )
    assert per_change < 0.1


def test_an_empty_room_plays_and_says_nobody_is_heard(tmp_path: Path) -> None:
    port = free_port()
    perf = _performance(tmp_path, port, f"symphony-empty-{port}")
    log = tmp_path / "empty.session"
    with jack_server() as server:
        show = Show(perf, log)
        capture = None
        try:
            show.wait_started()
            show.wait_for(lambda: len(show.status_lines()) >= 2, "two status lines")
            capture = Capture(server, OUTS)
            audio = capture.record(1.0)
        finally:
            code = show.stop()
            if capture is not None:
                capture.close()
            print(show.output)
    assert code == 0, show.output[-3000:]
    assert all(_heard(line) == 0 for line in show.status_lines())
    assert "fading" not in show.output
    # The bed plays: the tone at its scene level (amp 0.3, -6 dB), nowhere near silence.
    peak = float(np.abs(audio).max())
    assert peak > 0.05, peak
    _, values = freq_changes(perf, log)
    assert values.size == 0 or np.allclose(values, 330.0)  # nobody moved the tone
