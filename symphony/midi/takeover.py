"""Takeover and arbitration: a performer's fader meets a value it does not hold.

Everything here works on 0..1 *positions* (see `symphony.mapping.curves`),
so a fader at 50 % and a feature at 50 % mean the same point of a parameter
whatever its curve; `Param.from_position` turns the result into units.

Takeover, for absolute faders and knobs whose physical position can differ
from the parameter (after a scene change, or because the body moved it):

- `Pickup`: the fader does nothing until it crosses the parameter's value;
  `direction` tells the console which way to move it.
- `ValueScaling` (soft takeover): every move changes the parameter in the
  same direction, scaled so parameter and fader meet at the end of travel.
  Moving up from fader p0 and value v0 gives ``1 - v = (1 - v0)(1 - p)/(1 - p0)``;
  moving down gives ``v = v0 p / p0``. Once they meet they move together.
- `jump`: the fader sets the value at once (for controls whose parameter
  nothing else moves).

Arbitration, per parameter, between the performer and the body:
``biosignal`` only, ``performer`` only, ``offset`` (the performer shifts the
biosignal's value; fader centre = no shift) and ``crossfade`` (a control
blends from body to performer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Takeover = Literal["pickup", "scale", "jump"]
TAKEOVERS: tuple[str, ...] = get_args(Takeover)
Arbitration = Literal["biosignal", "performer", "offset", "crossfade"]
ARBITRATIONS: tuple[str, ...] = get_args(Arbitration)

PICKUP_TOLERANCE = 1.0 / 127.0  # one 7-bit step: "close enough" counts as crossing


def _clamp01(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


class Pickup:
    """No effect until the physical control reaches or crosses the value."""

    def __init__(self, value: float, tolerance: float = PICKUP_TOLERANCE) -> None:
        self.value = _clamp01(value)
        self.tolerance = tolerance
        self.engaged = False
        self._last: float | None = None

    def set_value(self, value: float) -> None:
        """The parameter moved without the fader (scene, body): pick it up again."""
        value = _clamp01(value)
        if abs(value - self.value) > self.tolerance:
            self.engaged = False
        self.value = value

    def move(self, position: float) -> float | None:
        """The new value if the fader now drives the parameter, else None."""
        position = _clamp01(position)
        last, self._last = self._last, position
        if not self.engaged:
            near = abs(position - self.value) <= self.tolerance
            crossed = last is not None and (last - self.value) * (position - self.value) <= 0
            if not (near or crossed):
                return None
            self.engaged = True
        self.value = position
        return position

    def direction(self, position: float) -> int:
        """Which way to move the fader to pick up: +1 up, -1 down, 0 engaged."""
        if self.engaged or abs(position - self.value) <= self.tolerance:
            return 0
        return 1 if self.value > position else -1


class ValueScaling:
    """Soft takeover: moves in the fader's direction, converging at the end of travel."""

    def __init__(self, value: float, tolerance: float = PICKUP_TOLERANCE) -> None:
        self.value = _clamp01(value)
        self.tolerance = tolerance
        self._last: float | None = None

    def set_value(self, value: float) -> None:
        self.value = _clamp01(value)

    @property
    def engaged(self) -> bool:
        return self._last is not None and abs(self._last - self.value) <= self.tolerance

    def move(self, position: float) -> float:
        position = _clamp01(position)
        last, self._last = self._last, position
        if abs(position - self.value) <= self.tolerance or (
            last is not None and abs(last - self.value) <= self.tolerance
        ):
            self.value = position  # met: from now on they move together
        elif last is not None and position > last:
            # 1 - v shrinks in proportion to the fader's remaining travel up.
            self.value = 1.0 - (1.0 - self.value) * (1.0 - position) / (1.0 - last)
        elif last is not None and position < last:
            # v shrinks in proportion to the fader's remaining travel down.
            self.value = self.value * position / last
        # The first touch gives no direction, so it changes nothing.
        return self.value

    def direction(self, position: float) -> int:
        return 0


class Jump:
    """The fader sets the value at once."""

    def __init__(self, value: float) -> None:
        self.value = _clamp01(value)
        self.engaged = True

    def set_value(self, value: float) -> None:
        self.value = _clamp01(value)

    def move(self, position: float) -> float:
        self.value = _clamp01(position)
        return self.value

    def direction(self, position: float) -> int:
        return 0


TakeoverState = Pickup | ValueScaling | Jump


def make_takeover(mode: Takeover, value: float) -> TakeoverState:
    if mode == "pickup":
        return Pickup(value)
    if mode == "scale":
        return ValueScaling(value)
    if mode == "jump":
        return Jump(value)
    raise ValueError(f"unknown takeover {mode!r}; expected one of {', '.join(TAKEOVERS)}")


def arbitrate(
    mode: Arbitration,
    body: float,
    performer: float | None,
    mix: float = 0.0,
    depth: float = 1.0,
) -> float:
    """The position a parameter takes, from the body's and the performer's.

    `performer` is None until the performer has touched the control: the body
    holds the parameter until then, except in ``performer`` mode where the body
    value stands in as the starting point. In ``offset`` mode the performer's
    0..1 is a shift of ``(performer - 0.5) * depth``. In ``crossfade`` mode
    `mix` (0 = body, 1 = performer) blends the two linearly in position space.
    """
    body = _clamp01(body)
    if mode == "biosignal" or performer is None:
        return body
    performer = _clamp01(performer)
    if mode == "performer":
        return performer
    if mode == "offset":
        return _clamp01(body + (performer - 0.5) * depth)
    if mode == "crossfade":
        m = _clamp01(mix)
        return (1.0 - m) * body + m * performer
    raise ValueError(f"unknown arbitration {mode!r}; expected one of {', '.join(ARBITRATIONS)}")


@dataclass
class Arbiter:
    """One parameter's arbitration state: latest body, performer and mix positions.

    The control side feeds it from the mapper (`body`) and from MIDI
    (`performer`, `mix`) and sends `position()` through the parameter's curve.
    """

    mode: Arbitration
    body: float = 0.0
    performer: float | None = None
    mix: float = 0.0
    depth: float = 1.0

    def position(self) -> float:
        return arbitrate(self.mode, self.body, self.performer, self.mix, self.depth)

    def performer_target(self) -> float:
        """What the performer's own control currently stands for (for pickup).

        In ``offset`` mode that is the shift (0.5 = none); otherwise the
        performer's value, or the parameter's current position before the
        first touch so the fader picks up where the sound is.
        """
        if self.mode == "offset":
            return 0.5 if self.performer is None else self.performer
        return self.position() if self.performer is None else self.performer
