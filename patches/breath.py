"""Breath: a wordless choir and the air around it, swelling with the group's breathing.

What it is: two choir groups (left and right, or alternate speakers around a
ring) sing an open D chord (A3 D4 F#4 A4 E5 as harmonics 3 4 5 6 9 of
``root``) on soft sawtooth-like wavetable voices, each group two sub-choirs
drifting independently, through three vowel formants, over band-passed "air"
noise, in a shared Freeverb.

How it reacts: the breath ``phase`` (0 = start of inhale) drives a swell that
is loudest a third of the way into the cycle (the top of the inhale) and
quietest near the end of the exhale; on each inhale the vowel opens from "oo"
towards "ah" and the air brightens. ``depth`` is how far the swell moves
(0 = steady). ``sync`` (group synchrony) is the clarity of the choir: in
sync, the voices sing in tune and dominate; out of sync, they drift apart and
the breath noise takes over. ``brightness`` opens formants, air band and the
final low-pass; ``root`` transposes the chord (73.42 Hz = D, the drone's
default root), ``level`` is the layer's gain.

Why: the phase wraps from 1 to 0 at every inhale, and the engine's SigTo
then glides the smoothed value back down through the whole cycle in a
fraction of a second. So the patch never uses the raw phase as a level or a
pitch: it freezes the phase while it runs backwards (the glide after a wrap
is ignored), turns it into a point on the unit circle (cos, sin of
2*pi*phase), low-passes that point at 0.8 Hz and re-normalises it. The swell
is the cosine of that smoothed angle to the peak: continuous across the wrap
by construction, deaf to a whole-cycle jump in either direction, and only
~0.2 s behind a real breath. Formants rather than pitch carry the inhale, and
just intonation on the root means choir and drone never beat.
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np

from symphony.engine.params import Param
from symphony.engine.patch import PatchContext
from symphony.engine.shapes import breath_swell

PARAMS = (
    Param("phase", 0.0, 1.0, 0.0, "cycle", "linear", 0.05, "breath phase, 0 = inhale start"),
    Param("depth", 0.0, 1.0, 0.8, "", "linear", 1.0, "how far the swell moves with breath"),
    Param("sync", 0.0, 1.0, 0.5, "", "linear", 2.0, "group synchrony: clear choir vs breathy"),
    Param("brightness", 0.0, 1.0, 0.5, "", "linear", 1.5, "formant and air brightness"),
    Param("root", 55.0, 110.0, 73.42, "Hz", "exp", 4.0, "key of the chord (73.42 Hz = D)"),
    Param("level", 0.0, 1.0, 0.8, "", "exp", 1.0, "gain of the layer"),
)

# A3 D4 F#4 A4 E5 as harmonics 3 4 5 6 9 of the root: just intonation, so the
# choir never beats against the drone's overtones.
_SUBCHOIRS = (((3.0, 6.0, 9.0), (0.8, 0.6, 0.35)), ((4.0, 5.0), (1.0, 0.75)))
_TABLE_SIZE = 8192
# Vowel formants, "oo" at rest to "ah" at the top of the inhale: (F_oo, F_ah, q, gain).
_FORMANTS = ((300.0, 730.0, 5.0, 1.0), (870.0, 1090.0, 7.0, 0.7), (2240.0, 2440.0, 10.0, 0.3))
_OUT_GAIN = 0.4


def chord_table(seed: int, harmonics: tuple[float, ...], gains: tuple[float, ...]) -> list[float]:
    """One cycle of the root holding several choir voices at once.

    Each voice (harmonic h of the root) is a soft sawtooth-like tone: its
    partial m lands on harmonic h*m of the root with amplitude 1/m^1.15.
    Phases are random (from `seed`) so the summed wave has a low crest factor.
    Partials above harmonic 170 are left out (below Nyquist up to root 140 Hz).
    """
    rng = random.Random(seed)
    size = _TABLE_SIZE
    spectrum: dict[int, float] = {}
    for h, g in zip(harmonics, gains, strict=True):
        m = 1
        while h * m <= 170:
            k = round(h * m)
            spectrum[k] = spectrum.get(k, 0.0) + g / m**1.15
            m += 1
    x = np.arange(size) * (2.0 * np.pi / size)
    wave = np.zeros(size)
    for k, a in sorted(spectrum.items()):
        wave += a * np.sin(k * x + rng.random() * 2.0 * np.pi)
    wave /= np.abs(wave).max()
    return [float(v) for v in wave]


def build(ctx: PatchContext) -> Any:
    pyo = ctx.pyo
    depth = ctx.param("depth")
    sync = ctx.param("sync")
    bright = ctx.param("brightness")
    root = ctx.param("root")
    level = ctx.param("level")
    n = ctx.channels

    u = breath_swell(ctx, ctx.param("phase"))
    # The choir swell never closes fully; the air is mostly the inhale itself.
    choir_amp = (u - 1.0) * depth * 0.9 + 1.0
    # An open "ah" passes weaker partials than "oo" (about 4 dB): make up for it so
    # the vowel colours the swell instead of cancelling it.
    vowel_gain = u * 0.65 + 1.0
    choir_mul = choir_amp * vowel_gain * (sync * 0.75 + 0.25)
    air_amp = u * u * depth + (depth * -0.35 + 0.35)
    air_mul = air_amp * (sync * -0.7 + 1.0)
    bb = bright * bright
    ctx.keep(choir_amp, vowel_gain, choir_mul, air_amp, air_mul, bb)

    # Two groups (streams 0 and 1: left/right, or alternate speakers of a ring),
    # each singing the chord as two sub-choirs drifting independently. In sync the
    # groups are within 3 cents of each other; out of sync they detune apart (up to
    # 21 cents, a wide chorus) and wander more.
    spread = sync * -0.005 + 0.006
    wobble = sync * -0.002 + 0.003
    ctx.keep(spread, wobble)
    subs = []
    for k, (harms, gains) in enumerate(_SUBCHOIRS):
        table = pyo.DataTable(_TABLE_SIZE, init=chord_table(ctx.seed + k, harms, gains))
        drift = pyo.Randi(min=-1.0, max=1.0, freq=[0.11 + 0.03 * k, 0.16 - 0.04 * k])
        ratio = drift * wobble + spread * [(-1.0) ** k, -((-1.0) ** k)] + 1.0
        osc = pyo.Osc(table, freq=ratio * root, phase=[0.0, 0.5])
        ctx.keep(table, drift, ratio, osc)
        subs.append(osc)
    src = pyo.Mix(subs, voices=2)
    bscale = bright * 0.25 + 0.88
    ub = u * bscale
    forms = []
    for f_oo, f_ah, q, gain in _FORMANTS:
        freq = ub * (f_ah - f_oo) + bscale * f_oo
        forms.append(pyo.Reson(src, freq=freq, q=q, mul=gain))
        ctx.keep(freq)
    choir = pyo.Mix(forms, voices=2, mul=choir_mul)
    ctx.keep(src, bscale, ub, forms, choir)

    noise = pyo.Noise(mul=[0.5, 0.5])
    noise.setType(1)  # cheap linear-congruential noise, seeded like the rest of pyo
    air_freq = (u * 0.5 + 0.75) * (bb * 2200.0 + 600.0)
    air = pyo.ButBP(noise, freq=air_freq * [0.92, 1.08], q=1.2, mul=air_mul)
    dry = choir + air
    verb = pyo.Freeverb(dry, size=0.9, damp=0.55, bal=0.5)
    lp = pyo.ButLP(verb, freq=bb * 5000.0 + 1500.0)
    ctx.keep(noise, air_freq, air, dry, verb, lp)
    # Stereo: group 0 left, group 1 right. A ring: the groups alternate speaker by
    # speaker (a stream list longer than the object wraps), so the whole room breathes.
    gain = level * (_OUT_GAIN * math.sqrt(2.0 / n))
    out = (lp * ([1.0] * n)) * gain if n > 1 else pyo.Mix(lp, voices=1, mul=gain)
    ctx.keep(gain)
    ctx.keep(out)
    return out
