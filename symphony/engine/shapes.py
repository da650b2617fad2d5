"""Shapes several patches share: signals built from pyo objects, for a patch's build.

`breath_swell` turns a breath phase (one person's, or the room's) into a
0..1 swell that is continuous across the phase's wrap; the breath choir and
every person's own breath voice (patches/breath.py, patches/swells.py) swell
with it.
"""

from __future__ import annotations

import math
from typing import Any

from symphony.engine.patch import PatchContext

PEAK_AT = 0.33  # where in the cycle the swell peaks (top of the inhale)
CIRCLE_HZ = 0.8  # low-pass of the phase point on the unit circle


def breath_swell(ctx: PatchContext, phase: Any) -> Any:
    """0..1 swell from the breath phase: 1 at PEAK_AT, 0 half a cycle later.

    The phase is frozen while it runs backwards (the engine's SigTo gliding
    from 1 down to 0 after a wrap), then becomes a point on the unit circle,
    rotated so the peak sits at angle 0; the point is low-passed and
    re-normalised, and its x coordinate is the swell. Continuous across the
    wrap, and deaf to whole-cycle sweeps in either direction.
    """
    pyo = ctx.pyo
    backwards = pyo.Compare(phase, pyo.Delay1(phase), "<")
    held = pyo.TrackHold(phase, backwards, 1.0)
    angle = held * (2.0 * math.pi) - 2.0 * math.pi * PEAK_AT
    c = pyo.Tone(pyo.Cos(angle), freq=CIRCLE_HZ)
    s = pyo.Tone(pyo.Sin(angle), freq=CIRCLE_HZ)
    mag = pyo.Sqrt(c * c + s * s) + 1e-3
    swell = pyo.Clip(c / mag, -1.0, 1.0, mul=0.5, add=0.5)
    ctx.keep(backwards, held, angle, c, s, mag, swell)
    return swell
