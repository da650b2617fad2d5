"""From a controller's events to engine changes and show commands.

`Router` is pure: it turns parsed MIDI events into `EngineChange`s (sent
straight to the engine: the hot path adds no more than the engine's next
block) and `Command`s for the control process (scenes, layer toggles,
panic, performer positions for parameters the body also drives). Takeover
(pickup or value scaling) is decided here, against the parameter's current
position, which the control process publishes in shared memory.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from symphony.mapping.curves import from_range, to_range
from symphony.mapping.layout import ControlLayout
from symphony.midi.messages import (
    ControlChange,
    ControlChange14,
    ControlEvent,
    NoteOff,
    NoteOn,
    NrpnChange,
    NrpnStep,
    RelativeChange,
)
from symphony.midi.profiles import Binding, ControllerProfile, address_of
from symphony.midi.takeover import TakeoverState, make_takeover


@dataclass(frozen=True)
class EngineChange:
    target: int
    value: float


@dataclass(frozen=True)
class Command:
    """For the control process.

    kind: ``scene``/``layer``/``panic`` (name), ``hold`` (the performer set the
    target to value, native units; the body must not overwrite it),
    ``performer`` (name is the arbitration mode, value a 0..1 position) or
    ``mix`` (value is the crossfade position between body and performer).
    """

    kind: str
    name: str = ""
    target: int = -1
    value: float = math.nan


def _position(event: ControlEvent, previous: float, step: float) -> float | None:
    """A 0..1 position from an absolute or relative event (None: not a position)."""
    if isinstance(event, ControlChange):
        return event.value / 127.0
    if isinstance(event, ControlChange14 | NrpnChange):
        return event.value / 16383.0
    if isinstance(event, RelativeChange):
        return min(1.0, max(0.0, previous + event.delta * step))
    if isinstance(event, NrpnStep):
        return min(1.0, max(0.0, previous + event.delta * step))
    if isinstance(event, NoteOn):
        return event.velocity / 127.0
    return None


class Router:
    """Bindings of one profile against one performance's control layout."""

    def __init__(
        self,
        profile: ControllerProfile,
        layout: ControlLayout,
        current: Callable[[int], float],
    ) -> None:
        self.layout = layout
        self.current = current  # target -> current position 0..1 (NaN if unknown)
        self.index = profile.control_index()
        self.bindings = profile.spec.bindings
        self.takeovers: dict[str, TakeoverState] = {}
        self.positions: dict[str, float] = {}
        self.master = layout.index("master.gain_db")
        self.ignored = 0

    def _target(self, binding: Binding) -> int:
        if binding.verb == "master":
            return self.master
        return self.layout.index(binding.argument)

    def _native(self, binding: Binding, target: int, position: float) -> float:
        param = self.layout.targets[target].param
        low, high = binding.range or (param.low, param.high)
        return float(to_range(position, low, high, binding.curve or param.curve))

    def _current_position(self, binding: Binding, target: int) -> float:
        pos = self.current(target)
        if math.isnan(pos):
            param = self.layout.targets[target].param
            pos = param.to_position(param.default)
        if binding.range is not None:
            param = self.layout.targets[target].param
            native = to_range(pos, param.low, param.high, param.curve)
            pos = float(from_range(native, *binding.range, binding.curve or param.curve))
        return pos

    def route(self, event: ControlEvent) -> tuple[list[EngineChange], list[Command]]:
        address = address_of(event)
        name = self.index.get(address) if address else None
        binding = self.bindings.get(name) if name else None
        if binding is None or name is None:
            self.ignored += 1
            return [], []
        verb = binding.verb
        pressed = isinstance(event, NoteOn) or (
            isinstance(event, ControlChange) and event.value >= 64
        )
        if verb in ("scene", "layer", "panic"):
            released = isinstance(event, NoteOff) or (
                isinstance(event, ControlChange) and event.value < 64
            )
            if pressed:
                return [], [Command(verb, binding.argument)]
            if released and verb == "layer" and not binding.toggle:
                return [], [Command(verb, binding.argument)]
            return [], []
        if verb == "oneshot":
            if not isinstance(event, NoteOn):
                return [], []
            voices = self.layout.voices.get(binding.argument, [])
            if not voices:
                return [], []
            voice = voices[hash(name) % len(voices)]
            velocity = event.velocity / 127.0
            return [
                EngineChange(voice.pan, 0.5),
                EngineChange(voice.velocity, velocity),
                EngineChange(voice.fire, 1.0),
            ], []
        if verb in ("param", "master", "mix"):
            return self._continuous(name, binding, event)
        self.ignored += 1
        return [], []

    def _continuous(
        self, name: str, binding: Binding, event: ControlEvent
    ) -> tuple[list[EngineChange], list[Command]]:
        target = self._target(binding)
        previous = self.positions.get(name, self._current_position(binding, target))
        position = _position(event, previous, binding.step)
        if position is None:
            return [], []
        self.positions[name] = position
        if binding.verb == "mix":
            return [], [Command("mix", binding.argument, target, position)]
        if binding.arbitration != "performer" and binding.verb == "param":
            return [], [Command("performer", binding.arbitration, target, position)]
        state = self.takeovers.get(name)
        if state is None:
            state = make_takeover(binding.takeover, self._current_position(binding, target))
            self.takeovers[name] = state
        else:
            state.set_value(self._current_position(binding, target))
        moved = state.move(position)
        if moved is None:
            return [], []
        native = self._native(binding, target, moved)
        return [EngineChange(target, native)], [Command("hold", name, target, native)]


def route_all(
    router: Router, events: Sequence[ControlEvent]
) -> tuple[list[EngineChange], list[Command]]:
    changes: list[EngineChange] = []
    commands: list[Command] = []
    for event in events:
        c, k = router.route(event)
        changes.extend(c)
        commands.extend(k)
    return changes, commands
