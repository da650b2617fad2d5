"""Probe: exact silence, and one short click with a sharp onset per trigger.

What it is: each voice plays a 4 ms burst (a 2 kHz cosine under a fast
exponential decay) from a table, scaled by the voice's velocity and by
``level``. Between triggers every voice outputs exact zeros, so the layer adds
no noise floor at all.

How it reacts: one trigger, one click. The burst starts at its full value on
the very first sample the trigger reaches (a cosine starts at its peak), so
the onset is unambiguous to within one sample on any threshold from -60 to
-10 dBFS at the default level.

Why: `performances/latency-probe.toml` uses it to measure note-to-sound
latency (`benchmarks/latency.py`, or anyone checking their rig): a sound that
comes out of true silence with no attack ramp makes the first sample above a
threshold the moment the engine applied the note. A decaying cosine of a few
cycles has almost no DC, so the master's DC blocker barely touches it.
"""

from __future__ import annotations

import math
from typing import Any

from symphony.engine.params import Event, Param
from symphony.engine.patch import PatchContext

PARAMS = (Param("level", 0.0, 1.0, 0.5, "", "linear", 0.05, "peak of the click, before velocity"),)
EVENTS = (Event("click", "one click: velocity 0..1 scales it"),)

BURST_S = 0.004
FREQ_HZ = 2000.0
_TABLE_SIZE = 1024
_DECAY = 5.0  # e-folds over the burst: the tail ends below -40 dB


def burst_table() -> list[float]:
    """A decaying cosine that starts at 1.0 and ends at exactly 0."""
    data = []
    for i in range(_TABLE_SIZE):
        t = i / _TABLE_SIZE
        data.append(math.exp(-_DECAY * t) * math.cos(2.0 * math.pi * FREQ_HZ * BURST_S * t))
    data[-1] = 0.0
    return data


def build(ctx: PatchContext) -> Any:
    pyo = ctx.pyo
    level = ctx.param("level")
    table = pyo.DataTable(_TABLE_SIZE, init=burst_table())
    ctx.keep(table)
    clicks = []
    for voice in ctx.voice_list("click"):
        env = pyo.TrigEnv(voice.trig, table=table, dur=BURST_S, interp=1, mul=voice.velocity)
        clicks.append(env)
        ctx.keep(env)
    mono = pyo.Mix(clicks, voices=1, mul=level) if clicks else pyo.Sig(0.0)
    ctx.keep(mono)
    out = pyo.Mix(mono, voices=ctx.channels)  # the same click on every output
    ctx.keep(out)
    return out
