"""Mosaic: a shimmer of small glass-like chimes whose density and brightness follow arousal.

What it is: a granular cloud (pyo Particle) reading tiles from a table that
the patch renders at build time: eight soft, slightly chorused tones of the
D major pentatonic (D5 E5 F#5 A5 B5 D6 F#6 A6 in just intonation on the
root, chord tones drawn more often). Each grain is one tile under a chime
envelope (raised-cosine attack over 7 % of the grain, 12 to 30 ms, then a
long soft decay), placed at a random point of the room; the cloud then goes
through a low-pass and a Freeverb.

How it reacts: ``density`` is grains per second: a few scattered chimes when
calm, a glittering rain when aroused; grains get shorter as they get denser
and the level is normalised by the overlap, so density changes texture more
than loudness. ``brightness`` opens the low-pass and makes upward octave
jumps likelier; ``spread`` scatters grains from the centre to the whole room
(the whole ring on 4 or 8 channels, whose centre slowly turns);
``pitch_scatter`` adds octave jumps and a few cents of detune; ``root``
transposes the scale (73.42 Hz = D, the drone's default root); ``level`` is
the layer's gain.

Why: a tile can only ever be a note of the key, so however dense or
scattered the cloud gets it stays consonant with the drone and the choir; a
grain never straddles two tiles (grain positions are kept inside one tile
and tiles fade at their edges), so no grain can click. Density is pyo
Particle's continuous ``dens`` signal, so a jump in arousal just makes grains
arrive faster: nothing is allocated, reset or cut. All randomness is pyo's
(Choice, Noise), so a render with the engine's global seed is repeatable.
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np

from symphony.engine.params import Param
from symphony.engine.patch import PatchContext

PARAMS = (
    Param("density", 1.0, 48.0, 6.0, "grains/s", "exp", 2.0, "grains per second"),
    Param("brightness", 0.0, 1.0, 0.5, "", "linear", 1.5, "low-pass opening and upward octaves"),
    Param("spread", 0.0, 1.0, 0.6, "", "linear", 1.0, "spatial scatter of grains"),
    Param("pitch_scatter", 0.0, 1.0, 0.3, "", "linear", 1.5, "octave jumps and detune"),
    Param("root", 55.0, 110.0, 73.42, "Hz", "exp", 4.0, "key of the scale (73.42 Hz = D)"),
    Param("level", 0.0, 1.0, 0.8, "", "exp", 1.0, "gain of the layer"),
)

_KEY_REF = 73.42
# D5 E5 F#5 A5 B5 D6 F#6 A6 as just ratios of the root (harmonics 8 9 10 12, 40/3, 16 20 24).
_TILES = tuple(_KEY_REF * h for h in (8.0, 9.0, 10.0, 12.0, 40.0 / 3.0, 16.0, 20.0, 24.0))
_TILE_WEIGHTS = (3, 1, 2, 3, 1, 2, 1, 1)  # chord tones (D, F#, A) more often
_PARTIALS = ((1.0, 1.0), (2.0, 0.28), (3.0, 0.1), (4.0, 0.04))
_TILE_SEC = 1.7  # longest grain read: 0.2 s offset + 0.43 s x pitch 3.0 (root 110, octave up)
_EDGE_SEC = 0.02
_OFFSET_SEC = (0.03, 0.2)  # where in a tile a grain may start
_OUT_GAIN = 0.5


def render_tiles(sample_rate: float, seed: int) -> list[float]:
    """Eight sustained tones, each faded in and out at its tile edges.

    Each tone is two copies 1.5 cents apart (a slow internal shimmer) with
    soft harmonic partials; phases come from `seed` so renders repeat.
    Returned as plain floats: only Python floats cross into pyo.
    """
    rng = random.Random(seed)
    size = int(_TILE_SEC * sample_rate)
    edge = int(_EDGE_SEC * sample_rate)
    t = np.arange(size) / sample_rate
    fade = np.ones(size)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(edge) / edge)
    fade[:edge] = ramp
    fade[size - edge :] = ramp[::-1]
    tiles = []
    for f0 in _TILES:
        tone = np.zeros(size)
        for ratio, amp in _PARTIALS:
            for cents in (-0.75, 0.75):
                f = f0 * ratio * 2.0 ** (cents / 1200.0)
                tone += 0.5 * amp * np.sin(2.0 * np.pi * f * t + rng.random() * 2.0 * np.pi)
        tiles.append(tone * fade * 0.7)
    return [float(v) for v in np.concatenate(tiles)]


def build(ctx: PatchContext) -> Any:
    pyo = ctx.pyo
    dens = ctx.param("density")
    bright = ctx.param("brightness")
    spread = ctx.param("spread")
    scatter = ctx.param("pitch_scatter")
    key = ctx.param("root") / _KEY_REF
    level = ctx.param("level")
    n = ctx.channels
    sr = ctx.sample_rate

    tiles = render_tiles(sr, ctx.seed)
    table = pyo.DataTable(len(tiles), init=tiles)
    env = pyo.CosTable([(0, 0.0), (600, 1.0), (2000, 0.45), (8191, 0.0)])
    ctx.keep(key, table, env)

    tile_len = _TILE_SEC * sr
    index = pyo.Choice([float(k) for k, w in enumerate(_TILE_WEIGHTS) for _ in range(w)], freq=97.0)
    jitter = pyo.Noise()
    jitter.setType(1)
    lo, hi = _OFFSET_SEC
    pos = index * tile_len + (jitter * 0.5 + 0.5) * ((hi - lo) * sr) + lo * sr
    ctx.keep(index, jitter, pos)

    # Octave jumps: per grain, up with probability ~scatter/4 (more when bright), down ~scatter/5.
    coin = pyo.Noise()
    coin.setType(1)
    p_up = scatter * (bright * 0.3 + 0.1)
    p_down = scatter * 0.2
    up = pyo.Compare(coin, 1.0 - p_up * 2.0, ">")
    down = pyo.Compare(coin, p_down * 2.0 - 1.0, "<")
    cents = pyo.Noise()
    cents.setType(1)
    pitch = key * (up + 1.0) * (down * -0.5 + 1.0) * (cents * scatter * 0.004 + 1.0)
    ctx.keep(coin, p_up, p_down, up, down, cents, pitch)

    # Denser means shorter: 0.43 s grains at 1/s down to 0.17 s at 48/s.
    dur = 0.35 / (dens * 0.125 + 1.0) + 0.12
    norm = 1.0 / pyo.Sqrt(dens * dur + 1.0)
    where = pyo.Noise()
    where.setType(1)
    if n == 2:
        pan = where * spread * 0.5 + 0.5
    else:
        turn = pyo.Phasor(freq=0.011)
        pan = pyo.Wrap(where * spread * 0.5 + turn)
        ctx.keep(turn)
    ctx.keep(dur, norm, where, pan)
    grains = pyo.Particle(
        table, env, dens=dens, pitch=pitch, pos=pos, dur=dur, dev=0.6, pan=pan, chnls=n, mul=norm
    )
    cutoff = pyo.Pow(6.0, bright, mul=1500.0)
    lp = pyo.ButLP(grains, freq=cutoff)
    send = pyo.Mix(lp, voices=2)
    verb = pyo.Freeverb(send, size=0.92, damp=0.45, bal=1.0)
    ctx.keep(grains, cutoff, lp, send, verb)
    # On a ring the two reverb streams alternate speaker by speaker around the room.
    wet = verb * ([0.55 * math.sqrt(2.0 / n)] * n)
    # Particle pans over pyo's even ring; on another ring each stream goes where it belongs.
    dry = ctx.from_ring(lp) if n > 2 else lp
    out = pyo.Mix([dry, wet], voices=n, mul=level * _OUT_GAIN)
    ctx.keep(wet, out)
    return out
