"""The live control process sends every person's own voice (ring8, simulated people).

The control loop is stepped on a virtual clock (no engine, no JACK): what it
would send is collected. Each of the eight simulated people must come to own
one swell voice, at the seat `voices.allocate` gives their heartbeats, at a
level above 0, with their own breath phase.
"""

from __future__ import annotations

from pathlib import Path

from symphony.collective.voices import allocate
from symphony.inputs.sources.simulated_source import SimulatedSource, SimulatedSpec
from symphony.live.control import LiveControl
from symphony.performance.loader import load_performance

RING8 = Path(__file__).resolve().parents[2] / "performances" / "ring8.toml"


def test_live_control_gives_each_person_a_voice_at_their_seat() -> None:
    perf = load_performance(RING8)
    now = {"t": 0.0}
    source = SimulatedSource(
        SimulatedSpec(participants=8, duration=60.0, seed=4, fast=False, chunk=0.1),
        clock=lambda: now["t"],
    )
    source.open()
    sent: list[tuple[int, float]] = []
    control = LiveControl(
        perf, [source], lambda t, v: sent.append((t, v)) or True, lambda: now["t"]
    )
    for k in range(int(20.0 * 50)):  # the belt is believed once its start-up is over (~13 s)
        now["t"] = k / 50
        control.step()
    layout = control.layout
    last = {}
    for target, value in sent:
        last[layout.targets[target].name] = value
    seats = sorted(last[f"swells.swell#{v}.seat"] for v in range(8))
    assert seats == sorted(p.pan for p in allocate(8, 8, circular=True))  # ring8 is a ring
    assert all(last[f"swells.swell#{v}.level"] > 0.0 for v in range(8))
    phases = {round(last[f"swells.swell#{v}.phase"], 6) for v in range(8)}
    assert len(phases) > 1  # each voice follows its own person's breath
