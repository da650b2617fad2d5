"""Drone: the harmonic floor of the sanctuary, an evolving pad on the root (D2 by default).

What it is: three detuned SuperSaw voices on the root, its fifth and its
octave, each through a gently resonant Moog low-pass, under a quiet sine
"organ" of three registers drawn from the root's own overtone series (1-2-3,
2-3-4-6 and 3-5-6-8: D, A, F#, all inside a D major chord), so nothing in
the layer can beat against the other layers in the same key. A small
Freeverb room softens the saws' edges.

How it reacts: ``root`` glides every oscillator together (the engine's slow
SigTo is the glide, so a key change slurs rather than jumps); ``brightness``
opens the filters from a dark hum (120 Hz) to a bright pad (3 kHz) and lets
the upper organ register in; ``warmth`` widens the saws' detune and brings up
their side oscillators, for a thicker, chorused body; ``motion`` sets how fast
(one swell a minute up to one every few seconds) and how deep the pad moves on
its own: voices swelling, the filter wandering, organ registers crossfading;
``level`` is the layer's gain.

Why: a sanctuary needs a bed that is always present but never static. Slow
random interpolators and incommensurate sine LFOs give evolution without a
perceivable loop; everything sits low and mid (the filter rests near 500 Hz)
so the breath choir and the mosaic have room above it, and the root is kept
light so the heartbeat's thump below 100 Hz is not masked. Voices are placed
at fixed points (constant-power gains computed once) and move only by their
own swells, which keeps the layer cheap: no per-sample panner.
"""

from __future__ import annotations

import math
from typing import Any

from symphony.engine.params import Param
from symphony.engine.patch import PatchContext

PARAMS = (
    Param("root", 55.0, 110.0, 73.42, "Hz", "exp", 4.0, "fundamental of the pad (73.42 Hz = D2)"),
    Param("brightness", 0.0, 1.0, 0.45, "", "linear", 2.0, "low-pass opening, 120 Hz to 3 kHz"),
    Param("warmth", 0.0, 1.0, 0.5, "", "linear", 2.0, "saw detune and side-saw balance"),
    Param("motion", 0.0, 1.0, 0.4, "", "linear", 3.0, "speed and depth of self-evolution"),
    Param("level", 0.0, 1.0, 0.8, "", "exp", 1.0, "gain of the layer"),
)

# Saw voices: (ratio to root, gain, home position as a fraction of the room).
_SAWS = ((1.0, 0.3, 0.5), (1.5, 0.28, 0.2), (2.0, 0.3, 0.8))
# Organ registers: (harmonic amplitudes of the root, gain, home position).
_ORGAN = (
    ((0.6, 0.5, 0.3), 0.16, 0.5),
    ((0.0, 0.6, 0.5, 0.35, 0.0, 0.2), 0.10, 0.3),
    ((0.0, 0.0, 0.5, 0.0, 0.45, 0.35, 0.0, 0.25), 0.06, 0.7),
)
_ORGAN_LFO_HZ = (0.031, 0.047, 0.023)  # incommensurate: the crossfade never repeats audibly
_OUT_GAIN = 0.7


def ring_gains(channels: int, pos: float) -> list[float]:
    """Constant-power gains placing a source at `pos` (0..1).

    Stereo: left (0) to right (1). Four or eight channels: a ring, where 0 and 1
    are the same point and the source sits between its two nearest speakers.
    """
    if channels == 1:
        return [1.0]
    if channels == 2:
        a = min(1.0, max(0.0, pos)) * math.pi / 2
        return [math.cos(a), math.sin(a)]
    x = (pos % 1.0) * channels
    i = int(x) % channels
    frac = x - int(x)
    gains = [0.0] * channels
    gains[i] = math.cos(frac * math.pi / 2)
    gains[(i + 1) % channels] = math.sin(frac * math.pi / 2)
    return gains


def _home(channels: int, pos: float, slot: float, count: int) -> float:
    """Stereo keeps the designed left-right spot; a ring spreads the voices evenly around it."""
    return pos if channels == 2 else (slot + 0.5) / count


def build(ctx: PatchContext) -> Any:
    pyo = ctx.pyo
    root = ctx.param("root")
    bright = ctx.param("brightness")
    warmth = ctx.param("warmth")
    motion = ctx.param("motion")
    level = ctx.param("level")
    n = ctx.channels

    # Evolution rate: 0.02 Hz (one swell a minute) at rest, up to ~0.3 Hz.
    rate = motion * motion * 0.28 + 0.02
    detune = warmth * 0.45 + 0.12
    bal = warmth * 0.45 + 0.35
    cut = bright * bright * 2880.0 + 120.0
    # Swells dip a voice by up to 60 % (8 dB) at full motion.
    dip = motion * -0.6 + 1.0
    wander = pyo.Randi(min=-1.0, max=1.0, freq=rate * 0.5)
    # The filter wanders up to about +/-40 % with motion.
    cutoff = (wander * motion * 0.4 + 1.0) * cut
    ctx.keep(rate, detune, bal, cut, dip, wander, cutoff)

    saws = []
    for k, (ratio, gain, pos) in enumerate(_SAWS):
        freq = root * (ratio * (1.0 + 0.0006 * (k - 1)))
        swell = pyo.Randi(min=dip, max=1.0, freq=rate * (0.6 + 0.25 * k), mul=gain)
        saw = pyo.SuperSaw(freq=freq, detune=detune, bal=bal, mul=swell)
        placed = saw * ring_gains(n, _home(n, pos, k, len(_SAWS)))
        ctx.keep(freq, swell, saw, placed)
        saws.append(placed)
    # One low-pass per output channel: the filter is linear, so filtering the placed
    # sum is the same as filtering each voice, for a third of the cost in stereo.
    pad = pyo.MoogLP(pyo.Mix(saws, voices=n), freq=cutoff, res=0.25)
    voices = [pad]
    ctx.keep(pad)

    # Organ: three registers of the root's overtones, crossfading slowly.
    lfo_rate = motion * 2.0 + 0.3
    ctx.keep(lfo_rate)
    for k, (harms, gain, pos) in enumerate(_ORGAN):
        table = pyo.HarmTable(list(harms), size=4096)
        if k == 2:  # the airy register only when the pad is open
            gain_sig = (bright * 0.8 + 0.2) * gain
            amp = pyo.Sine(lfo_rate * _ORGAN_LFO_HZ[k], k / 3.0, motion * 0.8 * gain_sig, gain_sig)
            ctx.keep(gain_sig)
        else:
            amp = pyo.Sine(lfo_rate * _ORGAN_LFO_HZ[k], k / 3.0, motion * (0.8 * gain), gain)
        osc = pyo.Osc(table, freq=root, mul=amp)
        placed = osc * ring_gains(n, _home(n, pos, k + 0.5, len(_ORGAN)))
        ctx.keep(table, amp, osc, placed)
        voices.append(placed)

    out = pyo.Mix(voices, voices=n, mul=level * _OUT_GAIN)
    ctx.keep(out)
    return out
