"""Live = render, bit for bit (in the spirit of pedalboard's invariance tests).

`LiveControl`, stepped frame by frame on a virtual show clock over a
recording (the recording source plays on the clock, as in a live show), must
send exactly the control values that `plan_control` computes for a render of
the same recording: the same collective stage (`collective/room.py`), the
same conductor, the same frames. No engine and no JACK are involved: what is
compared is the stream of control values, the input of both engines.

The weighted heartbeats are compared too: live, a beat is detected a little
after it happens; the room weighs it by its person's gain at its own time,
so each beat carries the same weight in both.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from symphony.live.control import LiveControl
from symphony.performance.loader import load_performance
from symphony.performance.plan import plan_control
from symphony.performance.sources import open_sources

RECORDED = Path(__file__).resolve().parents[2] / "performances" / "recorded.toml"
SECONDS = 40.0


def _live_values(perf, seconds: float) -> tuple[dict[str, np.ndarray], list]:
    now = {"t": 0.0}
    sources, problems = open_sources(perf.spec, perf.path, lambda: now["t"])
    assert not problems
    sent: list[tuple[int, float]] = []

    def send(target: int, value: float, *tag: int) -> bool:
        sent.append((target, value))
        return True

    control = LiveControl(perf, sources, send, lambda: now["t"])
    rate = control.rate
    n = int(seconds * rate)
    rows = {t.index: i for i, t in enumerate(control.conductor.targets)}
    held = np.array([control.initial[t] for t in control.rows])
    frames = np.empty((len(rows), n))
    beats = []
    for k in range(n):
        now["t"] = k / rate
        sent.clear()
        control.step()
        if control.frame is not None and control.frame.time == now["t"]:
            beats.extend(control.frame.triggers)
        for target, value in sent:
            if target in rows:
                held[rows[target]] = value
        frames[:, k] = held
    for source in sources:
        source.close()
    names = [t.name for t in control.conductor.targets]
    return {name: frames[i] for i, name in enumerate(names)}, beats


def test_live_control_sends_what_the_render_plans() -> None:
    perf = load_performance(RECORDED)
    plan = plan_control(perf, duration=SECONDS)
    live, live_beats = _live_values(perf, SECONDS)
    assert set(live) == set(plan.automation)
    moving = 0
    for name, planned in plan.automation.items():
        n = min(planned.size, live[name].size)
        np.testing.assert_array_equal(live[name][:n], planned[:n], err_msg=name)
        moving += int(np.ptp(planned[:n]) > 0)
    assert moving >= 3, "the recording must move the lanes, or the test proves nothing"
    planned_beats = [b for b in plan.room.triggers if b.time < SECONDS - 2.0]
    assert len(planned_beats) > 60  # three people for 40 s
    live_by_key = {(b.participant, b.time): b.gain for b in live_beats}
    for beat in planned_beats:
        assert live_by_key.get((beat.participant, beat.time)) == beat.gain, beat
