"""What the performer does to a live show: holds, mutes, panic, scenes, arbitration.

The MIDI process (and the console's keys) turn a controller into
`midi_router.Command`s; this is where the control process applies them to
the show's state. The conductor computes what the scenes and the room ask
for; `PerformerState` says what the performer puts on top, and
`apply_to` lays it over a frame's values (the arbitration modes, then the
holds), the same way for the values the engine plays and for their public
version the session log may keep.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from symphony.mapping.conductor import Conductor
from symphony.mapping.layout import LAYER_GAIN, MASTER_GAIN, ControlLayout
from symphony.midi.takeover import Arbiter, arbitrate
from symphony.performance.schema import PerformanceSpec

Array = npt.NDArray[np.float64]
log = logging.getLogger(__name__)


@dataclass
class PerformerState:
    """Everything the performer holds over the show's own values."""

    overrides: dict[int, float] = field(default_factory=dict)  # target -> value (native units)
    held_by: dict[int, str] = field(default_factory=dict)  # target -> control (or "console")
    arbiters: dict[int, Arbiter] = field(default_factory=dict)  # offset / crossfade targets
    muted: set[str] = field(default_factory=set)
    panicked: bool = False
    called: tuple[float, str] | None = None  # the last scene called live (at, name)


class Performer:
    """Applies performer commands to a `PerformerState` (see module docstring)."""

    def __init__(
        self, spec: PerformanceSpec, layout: ControlLayout, conductors: list[Conductor]
    ) -> None:
        """`conductors`: the one the engine plays and its public twin; both follow the scenes."""
        self.spec = spec
        self.layout = layout
        self.conductors = conductors
        self.state = PerformerState()
        self.master = layout.index("master.gain_db")
        self.rows = {t.index: i for i, t in enumerate(conductors[0].targets)}
        # Called back when a hold was sent to the engine by the MIDI process itself.
        self.sent_elsewhere: Any = None

    def apply(self, command: Any, now: float) -> None:
        """One performer action (see midi_router.Command)."""
        kind = command.kind
        handler = getattr(self, f"_{kind}", None)
        if handler is not None:
            handler(command, now)

    def _scene(self, command: Any, now: float) -> None:
        if command.name not in self.spec.scenes:
            return
        fade = next((c.crossfade for c in self.spec.timeline if c.scene == command.name), 5.0)
        for conductor in self.conductors:
            conductor.scenes.add_cue(self.spec.scenes[command.name], now, fade)
        self.state.called = (now, command.name)

    def _layer(self, command: Any, now: float) -> None:
        s = self.state
        target = self.layout.index(f"{command.name}.gain_db")
        if command.name in s.muted:
            s.muted.discard(command.name)
            s.overrides.pop(target, None)
            # Come back through the gain slew limit, from silence.
            for conductor in self.conductors:
                conductor.last_good[self.rows[target]] = LAYER_GAIN.low
        else:
            s.muted.add(command.name)
            s.overrides[target] = LAYER_GAIN.low

    def _panic(self, command: Any, now: float) -> None:
        s = self.state
        s.overrides[self.master] = MASTER_GAIN.low
        s.held_by[self.master] = "panic"
        s.panicked = True

    def _hold(self, command: Any, now: float) -> None:
        s = self.state
        s.overrides[command.target] = float(command.value)
        s.held_by[command.target] = command.name
        # The MIDI process sent this value to the engine itself, ahead of us:
        # count it as sent, or a copy of an older hold could follow a newer
        # one there (a gate reopening for a frame after its note-off).
        if self.sent_elsewhere is not None:
            self.sent_elsewhere(command.target, float(command.value))
        if command.target == self.master:
            s.panicked = False  # the master fader took the level back

    def _master(self, command: Any, now: float) -> None:
        """The console's master level (dB), or NaN: back to the show's."""
        s = self.state
        s.panicked = False
        s.held_by[self.master] = "console"
        if math.isnan(command.value):
            s.overrides.pop(self.master, None)
        else:
            s.overrides[self.master] = min(MASTER_GAIN.high, max(MASTER_GAIN.low, command.value))

    def _performer(self, command: Any, now: float) -> None:
        arbiter = self.state.arbiters.setdefault(command.target, Arbiter(command.name))
        arbiter.performer = float(command.value)
        arbiter.depth = float(getattr(command, "depth", 1.0))  # a macro's span

    def _mix(self, command: Any, now: float) -> None:
        arbiter = self.state.arbiters.setdefault(command.target, Arbiter("crossfade"))
        arbiter.mix = float(command.value)

    def _lost(self, command: Any, now: float) -> None:
        log.warning("controller %s: lost", command.name)

    def _returned(self, command: Any, now: float) -> None:
        log.warning("controller %s: returned", command.name)

    def apply_to(self, values: Array, keep_body: bool = True) -> None:
        """Lay the performer over one frame's values (targets of the conductor), in place.

        With `keep_body`, each arbiter remembers the body position it saw (the
        values the engine plays); the public copy passes False so the
        arbiters' state follows the played sound only.
        """
        for target, arbiter in self.state.arbiters.items():
            row = self.rows[target]
            param = self.layout.targets[target].param
            body = param.to_position(float(values[row]))
            if keep_body:
                arbiter.body = body
            position = arbitrate(arbiter.mode, body, arbiter.performer, arbiter.mix, arbiter.depth)
            values[row] = param.from_position(position)
        for target, value in self.state.overrides.items():
            held = self.rows.get(target)
            if held is not None:
                values[held] = value
