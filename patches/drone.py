"""Drone: the harmonic floor of the sanctuary, an evolving pad on the root (D2 by default).

What it is: three SuperSaw voices (each already a chorus of seven detuned
saws) on the root, its fifth and its octave, through a gently resonant Moog
low-pass, over a quiet "organ" of three wavetable registers drawn from the
root's own overtone series (harmonics 1-2-3, 2-3-4-6 and 3-5-6-8: D, A and
F#, a D major chord inside one harmonic series). The other layers tune their
notes to the same series (just intonation on the root), so nothing beats.
There is no reverb here: the saws' own detuning is the room, and the cost is
spent on the layers that need one.

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
with constant gains computed once (points in stereo, broad overlapping lobes
around a ring of 4 or 8) and move only by their own swells, which keeps the
layer cheap: no per-sample panner.
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


def place_gains(
    channels: int, pos: float, speakers: tuple[float, ...] | None = None
) -> list[float]:
    """Constant-power gains for a voice centred at `pos` (0..1).

    Stereo: a point from left (0) to right (1). A ring of 3 or more speakers:
    a broad cosine lobe around `pos`, so every speaker carries a blend of every
    voice (the pad surrounds the room) while each side still leans on its own.
    `speakers` are the ring's positions (0..1 each, from the speaker layout);
    without them, an even ring with channel 1 at the front.
    """
    if channels == 1:
        return [1.0]
    if channels == 2:
        a = min(1.0, max(0.0, pos)) * math.pi / 2
        return [math.cos(a), math.sin(a)]
    where = speakers or tuple(c / channels for c in range(channels))
    lobe = [0.2 + 0.5 * (1.0 + math.cos(2.0 * math.pi * (s - pos))) for s in where]
    norm = math.sqrt(sum(g * g for g in lobe))
    return [g / norm for g in lobe]


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
    ring = ctx.layout.positions if n > 2 else None  # where the speakers are, 0..1

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
        placed = saw * place_gains(n, _home(n, pos, k, len(_SAWS)), ring)
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
        placed = osc * place_gains(n, _home(n, pos, k + 0.5, len(_ORGAN)), ring)
        ctx.keep(table, amp, osc, placed)
        voices.append(placed)

    out = pyo.Mix(voices, voices=n, mul=level * _OUT_GAIN)
    ctx.keep(out)
    return out
