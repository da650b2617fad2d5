"""The engine survives its JACK server: killed mid-play, started again, sound comes back.

Real parts: a jackd dummy server under a private name, killed with SIGKILL
and started again under the same name; the realtime engine in its own
process; a JACK client (`LevelMeter`) that follows the engine's output port
across the restart and records when there was sound. Waits have generous
deadlines that only turn a hang into a failure; the bounds asserted are the
issue's (loss seen within 0.1 s, sound back within 5 s of the server).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from symphony.engine.realtime import EngineProcess, RealtimeOptions
from symphony.mapping.layout import ControlLayout
from symphony.performance.loader import load_performance
from symphony.session.log import read_session
from tests.jack_server import LevelMeter, RestartableJack

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "performances" / "mini.toml"
RATE = 48000
DEADLINE = 30.0


def wait_for(condition: Callable[[], bool], what: str, deadline: float = DEADLINE) -> float:
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.01)
    return time.monotonic()


def rms(x: npt.NDArray[np.float32]) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0


def pitch(x: npt.NDArray[np.float32]) -> float:
    """The strongest frequency (Hz) of a stretch of audio, to about 1 Hz."""
    n = 1 << int(np.log2(x.size))
    spectrum = np.abs(np.fft.rfft(x[:n] * np.hanning(n), n=8 * n))
    return float(np.argmax(spectrum) * RATE / (8 * n))


def test_jack_killed_and_restarted_mid_play(tmp_path: Path) -> None:
    perf = load_performance(MINI)
    layout = ControlLayout(perf.spec, perf.patches)
    log = tmp_path / "show.session"
    jack = RestartableJack()
    meter: LevelMeter | None = None
    engine: EngineProcess | None = None
    try:
        jack.start()
        engine = EngineProcess(MINI, RealtimeOptions(audio="jack"), seed=3, session=log)
        engine.start()
        meter = LevelMeter(jack.name)
        # A state that is not the performance's initial one: a rebuild from the
        # defaults would sound different.
        engine.send(layout.index("tone.amp"), 0.1)
        engine.send(layout.index("tone.freq"), 500.0)
        engine.send(layout.index("master.gain_db"), -6.0)
        settle = wait_for(lambda: bool(meter and meter.peaks), "the meter's first cycle") + 1.0
        wait_for(lambda: time.monotonic() > settle + 1.0, "a second of the new state")
        before = meter.audio_between(settle, settle + 1.0)
        blocks_before = engine.clock.blocks()

        killed = jack.kill()
        wait_for(lambda: engine is not None and engine.clock.state == "lost", "the loss seen")
        detected = engine.clock.lost_at() - killed
        engine.send(layout.index("tone.freq"), 600.0)  # sent while there is no server
        time.sleep(1.5)
        up = jack.start()
        back = wait_for(
            lambda: meter is not None and meter.first_sound_after(up) is not None,
            "sound after the server's return",
        )
        first = meter.first_sound_after(up)
        assert first is not None
        wait_for(lambda: time.monotonic() > first + 1.5, "the restored sound to play")
        after = meter.audio_between(first + 0.5, first + 1.5)
        blocks_after = engine.clock.blocks()
        rebuilds = engine.clock.rebuilds
        assert back - up < DEADLINE
    finally:
        if meter is not None:
            meter.close()
        if engine is not None:
            engine.stop()
        jack.close()

    assert detected < 0.1, f"the loss was seen {detected:.3f} s after the server died"
    assert first - up < 5.0, f"sound came back {first - up:.2f} s after the server did"
    assert rebuilds == 1 and blocks_after > blocks_before
    # Every parameter as it was (level: amp and master), and the change sent meanwhile.
    assert abs(rms(after) / rms(before) - 1.0) < 0.1, (rms(before), rms(after))
    assert abs(pitch(before) - 500.0) < 3.0 and abs(pitch(after) - 600.0) < 3.0
    session = read_session(log)
    [(rebuilt_at, gap)] = session.rebuilds
    assert blocks_before <= rebuilt_at <= blocks_before + 4  # counting goes on, no jump
    assert 1.5 < gap < 10.0
    text = log.read_text().splitlines()[1:]
    changes = [int(line.split()[1]) for line in text if line.startswith("c ")]
    played = [int(line.split()[1]) for line in text if line.startswith("p ")]
    assert changes == sorted(changes) and played == sorted(played)
    freq = layout.index("tone.freq")
    late = [
        b
        for b, t in zip(session.schedule.blocks, session.schedule.targets, strict=True)
        if t == freq and b == rebuilt_at
    ]
    assert late, "the change sent during the gap is logged where the new graph starts"
