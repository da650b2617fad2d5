"""Performer macros: one control that moves several parameters at once.

A performance declares a macro (``[macros.NAME]``, see `performance.schema.
MacroSpec`); a controller profile binds a fader, knob or encoder to it as
``macro:NAME``. The MIDI router asks `Macro.moves` what one position of
that control means, and turns the answer into what it already sends for a
single parameter, so macros share every path a fader has:

- ``set``: each target goes to its range at the macro's position, straight
  to the engine (the MIDI hot path) and held against scenes and mappings by
  the control process, as a ``param:`` binding with performer arbitration;
- ``offset``: each target is shifted from where the show has it by
  ``(position - 0.5) * span``, span being its range in the parameter's own
  0..1 positions (a negative span moves it the other way); the control
  process's arbiters apply it, as for ``arbitration = "offset"``;
- ``crossfade``: each target is blended from the show's value (position 0)
  to its ``to`` (position 1) in the parameter's positions, as for a
  ``mix:`` control over a crossfade binding.

Pure: a position in, the moves out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from symphony.mapping.curves import Curve, from_range, to_range
from symphony.mapping.layout import ControlLayout
from symphony.performance.schema import MacroSpec


@dataclass(frozen=True)
class MacroTarget:
    index: int
    low: float  # native value at macro 0 (crossfade: unused)
    high: float  # native value at macro 1 (crossfade: the `to`)
    curve: Curve
    span: float  # high - low in the parameter's 0..1 positions (offset)
    to_position: float  # the parameter's position at `high` (crossfade)


@dataclass
class MacroMoves:
    """What one macro position asks for, in the router's terms."""

    engine: list[tuple[int, float]] = field(default_factory=list)  # straight to the engine
    holds: list[tuple[int, float]] = field(default_factory=list)  # held by the control process
    performer: list[tuple[int, str, float, float]] = field(default_factory=list)  # mode, pos, depth
    mix: list[tuple[int, float]] = field(default_factory=list)


class Macro:
    """A declared macro against one performance's control layout."""

    def __init__(self, name: str, spec: MacroSpec, layout: ControlLayout) -> None:
        self.name = name
        self.mode = spec.mode
        self.targets: list[MacroTarget] = []
        for t in spec.targets:
            param = layout.by_name[t.target].param
            curve = t.curve or param.curve
            if spec.mode == "crossfade":
                to = float(t.to if t.to is not None else param.default)
                low, high = to, to
            else:
                low, high = t.range or (param.low, param.high)
            span = param.to_position(high) - param.to_position(low)
            index = layout.index(t.target)
            self.targets.append(MacroTarget(index, low, high, curve, span, param.to_position(high)))

    def value(self, target: MacroTarget, position: float) -> float:
        """A target's native value at a macro position (set mode)."""
        return float(to_range(position, target.low, target.high, target.curve))

    def position_of(self, native: float) -> float:
        """Where the macro stands when its first target has this value (for pickup)."""
        first = self.targets[0]
        if first.low == first.high:
            return 0.0
        u = float(from_range(native, first.low, first.high, first.curve))
        return min(1.0, max(0.0, u))

    def moves(self, position: float) -> MacroMoves:
        position = min(1.0, max(0.0, position))
        out = MacroMoves()
        for t in self.targets:
            if self.mode == "set":
                native = self.value(t, position)
                out.engine.append((t.index, native))
                out.holds.append((t.index, native))
            elif self.mode == "offset":
                out.performer.append((t.index, "offset", position, t.span))
            else:
                out.performer.append((t.index, "crossfade", t.to_position, 1.0))
                out.mix.append((t.index, position))
        return out
