"""What a patch declares about each of its parameters and voices."""

from __future__ import annotations

import math
from dataclasses import dataclass

from symphony.mapping.curves import CURVES, Curve, from_range, to_range


@dataclass(frozen=True)
class Param:
    """A continuous control of a patch, in its natural unit.

    `smoothing` is the time in seconds the engine takes to glide to a new
    value; every change is smoothed so nothing clicks or zippers. `curve`
    says how a 0..1 position (a fader, a normalised feature) spreads over
    the range.
    """

    name: str
    low: float
    high: float
    default: float
    unit: str = ""
    curve: Curve = "linear"
    smoothing: float = 0.1
    doc: str = ""

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"parameter name {self.name!r} must be an identifier")
        for label, v in (("low", self.low), ("high", self.high), ("default", self.default)):
            if not math.isfinite(v):
                raise ValueError(f"parameter {self.name!r}: {label} must be finite")
        if not self.low < self.high:
            raise ValueError(f"parameter {self.name!r}: low must be below high")
        if not self.low <= self.default <= self.high:
            raise ValueError(f"parameter {self.name!r}: default outside [low, high]")
        if self.curve not in CURVES:
            raise ValueError(f"parameter {self.name!r}: curve must be one of {CURVES}")
        if not (0.0 < self.smoothing <= 60.0):
            raise ValueError(f"parameter {self.name!r}: smoothing must be in (0, 60] s")

    def clamp(self, value: float) -> float:
        return min(self.high, max(self.low, value))

    def from_position(self, u: float) -> float:
        return float(to_range(u, self.low, self.high, self.curve))

    def to_position(self, value: float) -> float:
        return float(from_range(value, self.low, self.high, self.curve))


@dataclass(frozen=True)
class Event:
    """A family of one-shot voices a patch plays on triggers (a heartbeat, a chime).

    The engine gives each voice a trigger, a velocity (0..1) and a position in
    the room (0..1 around the speakers); which voice sounds for which
    participant is decided outside the patch by the voice allocator.
    """

    name: str
    doc: str = ""

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"event name {self.name!r} must be an identifier")


@dataclass(frozen=True)
class VoiceFamily:
    """A family of continuous voices, one per person in the room (a breath, a tone).

    Unlike an `Event` voice, which is fired, a person's voice sounds all the
    time it is theirs. The engine gives each voice a `level` (0..1: the
    person's presence in the room, and the fades when the voice changes hands),
    a `seat` (their position in the room, 0..1 as for `PatchContext.spread`)
    and one smoothed signal per declared parameter, which the performance's
    ``[[voices]]`` table drives from that person's own features. Which person
    holds which voice is decided outside the patch (`collective.voices`).
    """

    name: str
    params: tuple[Param, ...] = ()
    doc: str = ""

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"voice family name {self.name!r} must be an identifier")
        names = [p.name for p in self.params]
        for reserved in ("level", "seat"):
            if reserved in names:
                raise ValueError(f"voice family {self.name!r}: '{reserved}' is given by the engine")
        if len(set(names)) != len(names):
            raise ValueError(f"voice family {self.name!r} declares a parameter twice")

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)
