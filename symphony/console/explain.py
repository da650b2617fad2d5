"""Why does it sound like this? One line per parameter, naming what drives it.

A parameter's value is built in layers (symphony.mapping.conductor): the
scene's automation, then each mapping (a collective feature through its
ranges and curve, at the depth the scene gives it), then the performer
(a held fader, or an arbitration mode mixing body and performer), then
layer mutes and panic. The explanation lists those layers in that order,
with the numbers, so a performer can see which one is in charge.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from symphony.mapping.mapper import map_value
from symphony.performance.schema import MappingSpec


@dataclass(frozen=True)
class Performer:
    """What the performer does to one parameter (from LiveState)."""

    held: float | None = None  # value set by a control (native units)
    held_by: str = ""  # the control's name in the profile, or "console"
    mode: str = ""  # arbitration mode, when body and performer share it
    position: float | None = None  # performer's position 0..1 in that mode
    mix: float | None = None  # crossfade position, in "crossfade" mode
    muted: bool = False  # its layer is toggled off


def number(value: float) -> str:
    """Short, readable: 3 significant digits, no exponent for show-sized numbers."""
    if not math.isfinite(value):
        return "-" if math.isnan(value) else ("+inf" if value > 0 else "-inf")
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def mapped_value(mapping: MappingSpec, feature: float) -> float:
    """The mapping's output for one feature value (before its smoothing)."""
    out = map_value(
        np.array([feature]), mapping.in_range, mapping.out_range, mapping.curve, mapping.invert
    )
    return float(out[0])


def describe_mapping(mapping: MappingSpec, features: Mapping[str, float], depth: float) -> str:
    """`label pulls x0.60: heart_rate 72.0 -> 0.49 (55..95 -> 0.2..0.75 linear)`.

    The numbers that change come first, the fixed ranges last, so a narrow
    terminal cuts what the performer already knows.
    """
    feature = mapping.source.split(".", 1)[1]
    x = float(features.get(feature, math.nan))
    lo, hi = mapping.in_range
    a, b = mapping.out_range
    curve = mapping.curve + (" inverted" if mapping.invert else "")
    verb = "adds" if mapping.mode == "add" else "pulls"
    head = f"{mapping.label} {verb} x{depth:.2f}: "
    if not math.isfinite(x):
        head += f"{feature} unknown (value left alone)"
    else:
        head += f"{feature} {number(x)} -> {number(mapped_value(mapping, x))}"
    ranges = f"({number(lo)}..{number(hi)} -> {number(a)}..{number(b)} {curve}"
    if mapping.smoothing > 0:
        ranges += f", smoothed {number(mapping.smoothing)} s"
    return f"{head} {ranges})"


def explain(
    value: float,
    scene_value: float,
    mappings: Sequence[MappingSpec],
    features: Mapping[str, float],
    depths: Mapping[str, float],
    performer: Performer | None = None,
) -> str:
    """Every layer that shapes one parameter, from the scene up to the performer."""
    parts = [f"scene {number(scene_value)}"]
    for m in mappings:
        depth = float(depths.get(m.label, 1.0))
        if depth <= 0.0:
            parts.append(f"{m.label} off in this scene")
            continue
        parts.append(describe_mapping(m, features, depth))
    p = performer or Performer()
    if p.mode:
        who = f"performer {number(p.position)}" if p.position is not None else "performer idle"
        if p.mode == "crossfade" and p.mix is not None:
            who += f", mix {p.mix:.2f}"
        parts.append(f"{p.mode}: {who}")
    if p.muted:
        parts.append("layer muted")
    elif p.held is not None:
        parts.append(f"held {number(p.held)} by {p.held_by or 'performer'}")
    return " | ".join(parts)


def in_charge(mappings: Sequence[MappingSpec], depths: Mapping[str, float], p: Performer) -> str:
    """One word for the parameter's row: who decides its value now."""
    if p.muted:
        return "muted"
    if p.held is not None:
        return "performer"
    if p.mode:
        return "shared"
    if any(depths.get(m.label, 1.0) > 0.0 for m in mappings):
        return "body"
    return "scene"
