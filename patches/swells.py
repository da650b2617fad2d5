"""Swells: every person's own breath as a voice of their own, sung from their seat.

What it is: one voice per person (a `VoiceFamily`, "swell"). Each voice is a
soft, hollow tone (odd-heavy harmonics, like a low flute or a hummed "oo")
on its own note of the root's harmonic series (voice 0 on harmonic 4, then
6, 5, 8, 3, 10, 12, 9, ... so every voice has a pitch of its own and all of
them are one just-intoned D major chord with the drone and the choir),
through a low-pass that opens on the inhale, placed at the person's seat,
and a shared reverb that carries every voice into the whole room.

How it reacts, per voice: ``phase`` (that person's breath phase, 0 = start
of inhale) swells the voice, loudest a third into the cycle, as the choir
does for the room; ``depth`` (their breath depth) is how far it swells;
``arousal`` brightens the tone and adds a slow vibrato. The voice's
``level`` (from the room: the person's fade-in, fade-out, signal quality and
consent, and the hand-over when people outnumber voices) scales it, and its
``seat`` places it (`ctx.spread`: constant power in stereo, VBAP on a ring).
Layer parameters: ``root`` (73.42 Hz = D), ``brightness``, ``reverb`` (wet
share) and ``level``.

Why: heard together, the voices are the room's breathing; heard alone, each
is one person, in one place, breathing at their own pace. The phase is never
used as a level directly: `breath_swell` smooths it on the unit circle, so a
wrap from 1 to 0 is no jump. The level is a linear glide over the fade
time, so a voice whose person leaves fades, never clicks. Only seats that
change while a voice is silent ever move it, so no voice sweeps across the
room. With no voices allocated the layer is silent but keeps its channels.
"""

from __future__ import annotations

import math
from typing import Any

from symphony.engine.params import Param, VoiceFamily
from symphony.engine.patch import PatchContext
from symphony.engine.shapes import breath_swell

PARAMS = (
    Param("root", 55.0, 110.0, 73.42, "Hz", "exp", 4.0, "key of the voices (73.42 Hz = D)"),
    Param("brightness", 0.0, 1.0, 0.5, "", "linear", 1.5, "how open every voice's filter is"),
    Param("reverb", 0.0, 1.0, 0.4, "", "linear", 1.0, "share of the voices in the room's reverb"),
    Param("level", 0.0, 1.0, 0.8, "", "exp", 1.0, "gain of the layer"),
)
VOICES = (
    VoiceFamily(
        "swell",
        (
            Param("phase", 0.0, 1.0, 0.0, "cycle", "linear", 0.05, "the person's breath phase"),
            Param("depth", 0.0, 1.0, 0.6, "", "linear", 1.0, "how far their voice swells"),
            Param("arousal", 0.0, 1.0, 0.5, "", "linear", 2.0, "brighter, with more vibrato"),
        ),
        "one person's breath as a swelling tone at their seat",
    ),
)

# Harmonics of the root, one per voice (then the same an octave up): D A F# D A F# D E ...
HARMONICS = (4.0, 6.0, 5.0, 8.0, 3.0, 10.0, 12.0, 9.0, 15.0, 2.0, 16.0, 18.0, 20.0, 24.0, 7.5, 14.0)
_TONE = (1.0, 0.0, 0.33, 0.0, 0.16, 0.05, 0.08)  # a hollow, flute-like spectrum
_VOICE_GAIN = 0.22
_OUT_GAIN = 0.8


def harmonic(voice: int) -> float:
    """The harmonic of the root voice `voice` sings (distinct for every voice)."""
    return HARMONICS[voice % len(HARMONICS)] * 2.0 ** (voice // len(HARMONICS))


def build(ctx: PatchContext) -> Any:
    pyo = ctx.pyo
    root = ctx.param("root")
    bright = ctx.param("brightness")
    reverb = ctx.param("reverb")
    level = ctx.param("level")
    n = ctx.channels

    table = pyo.HarmTable(list(_TONE), size=4096)
    ctx.keep(table)
    placed = []
    for k, voice in enumerate(ctx.person_voices("swell")):
        u = breath_swell(ctx, voice.param("phase"))
        arousal = voice.param("arousal")
        vibrato = pyo.Sine(freq=4.5 + 0.37 * (k % 5), mul=arousal * 0.004)
        freq = root * (harmonic(k) * (1.0 + 0.0007 * ((k % 3) - 1))) * (vibrato + 1.0)
        tone = pyo.Osc(table, freq=freq, phase=(k * 0.37) % 1.0)
        amp = ((u - 1.0) * voice.param("depth") + 1.0) * voice.level * _VOICE_GAIN
        cutoff = (u * 0.6 + 0.4) * (bright * 1800.0 + arousal * 1200.0 + 400.0)
        lp = pyo.ButLP(tone, freq=cutoff, mul=amp)
        ctx.keep(u, arousal, vibrato, freq, tone, amp, cutoff, lp)
        placed.append(ctx.spread(lp, voice.seat))
    dry = pyo.Mix(placed, voices=n) if placed else pyo.Sig([0.0] * n)
    send = pyo.Mix(dry, voices=2)
    verb = pyo.Freeverb(send, size=0.88, damp=0.5, bal=1.0)
    wet = verb * ([math.sqrt(2.0 / n)] * n)
    out = pyo.Mix([dry * (reverb * -0.5 + 1.0), wet * reverb], voices=n, mul=level * _OUT_GAIN)
    ctx.keep(dry, send, verb, wet, out)
    return out
