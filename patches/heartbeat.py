"""Heartbeat: one soft, low "lub-dub" per participant's beat, placed at their seat.

What it is: each voice is a smooth exciter (a 6 ms one-cycle "lub" pulse and,
270 ms later, a weaker 4 ms "dub"), scaled by the beat's velocity and placed
at the voice's position in the room by a constant-power panner (the
square-root law in stereo, pairwise VBAP on a ring of speakers). All
voices then ring one shared bank of three complex resonators per output
channel: the body at ``pitch`` (A1 = 55 Hz by default, the fifth of D), a
short knock a sixth above it (x1.6, fading 60 dB in 170 ms) and a faint skin
tap near x2.9 (80 ms), all under a low-pass ``tone`` filter (two Butterworth
sections, at ``tone`` and an octave above).

How it reacts: every trigger of a voice gives exactly one beat; ``velocity``
sets its strength and ``pan`` its place. ``pitch`` tunes the body, ``decay``
is how long it rings, ``tone`` how much of the knock and tap get through
(dark and felt, or present on small speakers), ``level`` the layer's gain.

Why: resonators are linear, so a beat fired while the previous one still
rings simply adds to it: no envelope restarts, no phase resets, no click on
re-triggering, whatever the heart rate. The attack is the exciter's width
(a few ms), so the onset is soft but still reads as a pulse; each pulse has
zero area, so beats push no DC into the mix. The rapid decay
of the upper knock against the sustained body is heard as the pitch drop of a
heartbeat thump without modulating any pitch. Panning the exciter (not the
ringing output) means a voice that moves to a new seat never drags a tail
across the room. Sharing the resonators between voices makes sixteen voices
cost hardly more than one. Beats that land on the same instant add
coherently in those resonators, so a soft ceiling (nearly transparent at the
usual -13 dBFS peaks) keeps the layer below -3.5 dBFS whatever the voices do.
"""

from __future__ import annotations

import math
from typing import Any

from symphony.engine.params import Event, Param
from symphony.engine.patch import PatchContext

PARAMS = (
    Param("pitch", 40.0, 90.0, 55.0, "Hz", "exp", 1.0, "body frequency of the thump (55 Hz = A1)"),
    Param("decay", 0.1, 1.5, 0.4, "s", "exp", 0.5, "time for the body to fall 60 dB"),
    Param("tone", 60.0, 600.0, 150.0, "Hz", "exp", 0.5, "low-pass cutoff: felt (low) or heard"),
    Param("level", 0.0, 1.0, 0.8, "", "exp", 0.5, "gain of the layer"),
)
EVENTS = (Event("beat", "one heartbeat of one participant: velocity 0..1, pan 0..1"),)

_TABLE_SIZE = 8192
_TABLE_DUR = 0.4  # seconds covered by the exciter table
_LUB = (0.0, 0.006, 1.0)  # (start s, width s, amplitude)
_DUB = (0.27, 0.004, 0.55)
# Resonators: (ratio to pitch, 60 dB decay in s or None for the `decay` param, gain).
_RESONATORS = ((1.0, None, 1.0), (1.6, 0.17, 0.5), (2.9, 0.08, 0.15))
_T60_TO_TAU = 1.0 / math.log(1000.0)  # ComplexRes's decay is the 1/e time of the amplitude
_OUT_GAIN = 0.6
_SOFT = 1.5


def exciter_table() -> list[float]:
    """Lub and dub as smooth one-cycle pulses (a sine under a Hann window).

    Each pulse starts and ends at exactly zero and has zero area, so the
    resonators get no DC push and the layer has no offset whatever the rate.
    """
    data = [0.0] * _TABLE_SIZE
    for start, width, amp in (_LUB, _DUB):
        i0 = int(start / _TABLE_DUR * _TABLE_SIZE)
        w = max(4, int(width / _TABLE_DUR * _TABLE_SIZE))
        for j in range(w + 1):
            x = 2.0 * math.pi * j / w
            data[i0 + j] += amp * 0.5 * (1.0 - math.cos(x)) * math.sin(x)
    return data


def build(ctx: PatchContext) -> Any:
    pyo = ctx.pyo
    pitch = ctx.param("pitch")
    decay = ctx.param("decay")
    tone = ctx.param("tone")
    level = ctx.param("level")
    n = ctx.channels

    table = pyo.DataTable(_TABLE_SIZE, init=exciter_table())
    ctx.keep(table)
    excs = []
    for voice in ctx.voice_list("beat"):
        exc = pyo.TrigEnv(voice.trig, table=table, dur=_TABLE_DUR, interp=2, mul=voice.velocity)
        if n == 2:  # the same constant-power law as SPan, for a third of the cost
            pan = pyo.Clip(voice.pan, 0.0, 1.0)
            gains = [pyo.Sqrt(1.0 - pan), pyo.Sqrt(pan)]
            placed = [exc * g for g in gains]
            ctx.keep(pan, gains)
        else:  # a ring: VBAP gain tables read at the voice's seat (the layout's angles)
            placed = [ctx.spread(exc, voice.pan)]
        ctx.keep(exc, placed)
        excs.extend(placed)
    # With no voices allocated the layer stays silent but keeps its channel count.
    bus = pyo.Mix(excs, voices=n) if excs else pyo.Sig([0.0] * n)
    ctx.keep(bus)

    body_tau = decay * _T60_TO_TAU
    rings = []
    for ratio, t60, gain in _RESONATORS:
        tau = body_tau if t60 is None else t60 * _T60_TO_TAU
        res = pyo.ComplexRes(bus, freq=pitch * ratio, decay=tau, mul=gain)
        ctx.keep(res)
        rings.append(res)
    ctx.keep(body_tau)
    body = pyo.Mix(rings, voices=n)
    lp = pyo.ButLP(body, freq=tone)
    lp2 = pyo.ButLP(lp, freq=tone * 2.0, mul=level * (_OUT_GAIN * _SOFT))
    # A soft ceiling, x / sqrt(1 + x^2) (tanh-like, cheaper): within 5 % at the usual
    # peaks (-13 dBFS), yet however many hearts land on the same instant the layer
    # never exceeds 1/_SOFT (-3.5 dBFS).
    soft = lp2 / pyo.Sqrt(lp2 * lp2 + 1.0)
    out = soft * (1.0 / _SOFT)
    ctx.keep(body, lp, lp2, soft, out)
    return out
