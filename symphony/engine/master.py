"""The master safety chain: the last thing every sample passes through.

Order, per output channel:

1. **Scrub** non-finite samples. pyo's ``Clip`` lets NaN through, but
   ``Max(Min(x, b), -b)`` sends NaN to +b and ``Min(Max(x, -b), b)`` sends it
   to -b (both are clamps for finite x), so their mean is 0 for NaN, a clamp
   for finite values and +-b for infinities. Built from two C comparisons, no
   Python per sample.
2. **DC block**, so an offset from a broken patch or sensor never pushes the
   speakers.
3. **Master gain** (smoothed; its rise is slew-limited by the engine hook).
4. **Linked look-ahead limiter.** One detector over all channels (so the
   image does not wander), built from two pyo ``Compress`` objects in
   ``outputAmp`` mode: the first holds each peak with an instant attack, the
   second glides the gain down within the look-ahead. The audio is delayed by
   the look-ahead, so the gain is already down when the peak arrives. Its
   threshold sits 2 dB under the ceiling: the margin covers inter-sample
   peaks, which BS.1770 true-peak metering sees and a sample-peak limiter
   does not.
5. **Final clamp** 1 dB under the ceiling, so no sample can exceed it
   whatever the limiter does.

A patch cannot reach the output without this chain: the graph builder
disables ``.out()`` while patches are built (see `graph.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Pyo = Any

LOOKAHEAD_S = 0.005
LIMITER_MARGIN_DB = 2.0
CLAMP_MARGIN_DB = 1.0
SCRUB_BOUND = 8.0  # +18 dBFS: far above anything musical, far below overflow


def db_to_amp(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def scrub(pyo: Any, signal: Pyo, bound: float, keep: list[Pyo]) -> Pyo:
    """Clamp to +-bound with NaN sent to 0 (see module docstring)."""
    hi_first = pyo.Max(pyo.Min(signal, bound), -bound)
    lo_first = pyo.Min(pyo.Max(signal, -bound), bound)
    out = pyo.Mix([hi_first, lo_first], voices=1, mul=0.5)
    keep.extend([hi_first, lo_first, out])
    return out


@dataclass
class MasterChain:
    """The pyo objects of the safety chain for all output channels."""

    outputs: list[Pyo]
    gain: Pyo
    gain_reduction: Pyo
    kept: list[Pyo] = field(default_factory=list)


def build_master(
    pyo: Any,
    buses: list[Pyo],
    ceiling_dbtp: float,
    gain_db: float,
    lookahead_s: float = LOOKAHEAD_S,
) -> MasterChain:
    """Wire the chain after the per-channel buses; returns the final signals.

    `lookahead_s` is also the latency the chain adds. With 0 the gain still
    glides down over LOOKAHEAD_S / 6, and the final clamp holds the ceiling
    during that first glide (for the lowest MIDI-to-sound latency).
    """
    keep: list[Pyo] = []
    gain = pyo.SigTo(db_to_amp(gain_db), time=0.05, init=db_to_amp(gain_db))
    keep.append(gain)
    staged = []
    for bus in buses:
        clean = scrub(pyo, bus, SCRUB_BOUND, keep)
        no_dc = pyo.DCBlock(clean)
        gained = pyo.Mix(no_dc, voices=1, mul=gain)
        keep.extend([no_dc, gained])
        staged.append(gained)
    peak = pyo.Abs(staged[0])
    keep.append(peak)
    for s in staged[1:]:
        a = pyo.Abs(s)
        peak = pyo.Max(peak, a)
        keep.extend([a, peak])
    # Two stages, because pyo has no peak-hold-with-smooth-attack object:
    # (a) an instant-attack, slow-release follower (the first Compress) sees
    #     every peak whole, however short; its gain g_a turns back into a
    #     held envelope max(peak, threshold) = threshold / g_a;
    # (b) a second Compress follows that envelope with an attack of a sixth of
    #     the look-ahead, so the gain glides down (no click, no inter-sample
    #     overs of its own) and is 99.7 % there when the delayed peak arrives.
    threshold_db = ceiling_dbtp - LIMITER_MARGIN_DB
    hold = pyo.Compress(
        peak,
        thresh=threshold_db,
        ratio=1000.0,
        risetime=0.00001,
        falltime=0.3,
        lookahead=0.0,
        knee=0.0,
        outputAmp=True,
    )
    envelope = pyo.Sig(db_to_amp(threshold_db)) / hold
    reduction = pyo.Compress(
        envelope,
        thresh=threshold_db - 0.01,
        ratio=1000.0,
        risetime=LOOKAHEAD_S / 6.0,
        falltime=0.02,
        lookahead=0.0,
        knee=0.0,
        outputAmp=True,
    )
    keep.extend([hold, envelope, reduction])
    clamp = db_to_amp(ceiling_dbtp - CLAMP_MARGIN_DB)
    outputs = []
    for s in staged:
        if lookahead_s > 0.0:
            delayed = pyo.SDelay(s, delay=lookahead_s, maxdelay=LOOKAHEAD_S * 2)
            keep.append(delayed)
        else:
            delayed = s
        limited = pyo.Mix(delayed, voices=1, mul=reduction)
        # Everything here is finite already (scrubbed above; DCBlock, gains and
        # the limiter cannot make NaN of finite input), so a plain clip is enough.
        final = pyo.Clip(limited, -clamp, clamp)
        keep.append(final)
        keep.append(limited)
        outputs.append(final)
    return MasterChain(outputs=outputs, gain=gain, gain_reduction=reduction, kept=keep)
