"""From a controller's events to engine changes and show commands.

`Router` is pure: it turns parsed MIDI events into `EngineChange`s (sent
straight to the engine: the hot path adds no more than the engine's next
block) and `Command`s for the control process (scenes, layer toggles,
panic, performer positions for parameters the body also drives). Takeover
(pickup or value scaling) is decided here, against the parameter's current
position, which the control process publishes in shared memory.

Held notes. In this engine the only sound a key sustains is a *gate*
(``gate:LAYER``): the layer sounds while the pad is down, at a level set by
the note-on velocity, and the note-off brings its gain to the bottom of the
binding's range; the layer gain's own smoothing (`LAYER_GAIN.smoothing`,
a 50 ms linear ramp in amplitude in the engine) makes that a short fade with
no click. A momentary layer (``layer:NAME`` with ``toggle = false``) is held
too: it is muted while down. One-shots are not held (their envelope ends by
itself). `release_all` lets go of everything still down, for a controller
that vanished mid-show: no layer stays stuck open or muted.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from symphony.live.macros import Macro
from symphony.mapping.curves import from_range, to_range
from symphony.mapping.layout import LAYER_GAIN, ControlLayout
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
from symphony.performance.schema import MacroSpec

ECHO_MEMORY = 64  # recent moves remembered per target (far more than a frame's worth)
# How long a published value may lag our own move before it counts as news: the
# control process echoes a move within a frame or two (20 ms at 50 Hz), unless busy.
ECHO_WAIT = 0.5


@dataclass(frozen=True)
class EngineChange:
    target: int
    value: float


@dataclass(frozen=True)
class Command:
    """For the control process.

    kind: ``scene``/``layer``/``panic`` (name), ``hold`` (the performer set the
    target to value, native units; the body must not overwrite it),
    ``performer`` (name is the arbitration mode, value a 0..1 position,
    depth the offset's span: 1 for a binding, the target's span for a macro)
    or ``mix`` (value is the crossfade position between body and performer).
    """

    kind: str
    name: str = ""
    target: int = -1
    value: float = math.nan
    depth: float = 1.0


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
        clock: Callable[[], float] = time.monotonic,
        macros: Mapping[str, MacroSpec] | None = None,
    ) -> None:
        self.layout = layout
        self.macros = {name: Macro(name, m, layout) for name, m in (macros or {}).items()}
        self.current = current  # target -> current position 0..1 (NaN if unknown)
        self.index = profile.control_index()
        self.unusable: list[str] = []
        self.bindings = {
            name: binding
            for name, binding in profile.spec.bindings.items()
            if self._usable(name, binding)
        }
        self.takeovers: dict[str, TakeoverState] = {}
        self.positions: dict[str, float] = {}
        self.master = layout.index("master.gain_db")
        self.ignored = 0
        # What this router itself set, per target (binding positions): the control
        # process publishes positions a frame or two late, and an echo of our own
        # move must not count as "the parameter moved elsewhere" (pickup would let go).
        self.echoes: dict[int, deque[float]] = {}
        self.seen: dict[str, float] = {}  # last published position seen, per control
        self.awaiting: dict[int, float] = {}  # target -> when we moved it, until its echo
        self.clock = clock
        self.held: dict[str, Binding] = {}  # gate and momentary-layer controls now down

    def _usable(self, name: str, binding: Binding) -> bool:
        """Whether the performance has what a binding drives (else noted in `unusable`)."""
        verb, argument = binding.verb, binding.argument
        if verb in ("param", "mix"):
            wanted = argument
        elif verb in ("layer", "gate"):
            wanted = f"{argument}.gain_db"
        elif verb == "oneshot":
            if argument in self.layout.voices:
                return True
            self.unusable.append(f"bindings.{name}: the performance has no trigger '{argument}'")
            return False
        elif verb == "macro":
            if argument in self.macros:
                return True
            self.unusable.append(f"bindings.{name}: the performance has no macro '{argument}'")
            return False
        else:
            return True  # scenes are checked by the control process; panic, master always
        if wanted in self.layout.by_name:
            return True
        self.unusable.append(f"bindings.{name}: the performance has no {verb} target '{argument}'")
        return False

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
        return self._in_binding(binding, target, pos)

    def _in_binding(self, binding: Binding, target: int, pos: float) -> float:
        """A parameter position (0..1 over its whole range) as a position of the binding."""
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
        released = isinstance(event, NoteOff) or (
            isinstance(event, ControlChange) and event.value < 64
        )
        if verb == "gate":
            return self._gate(name, binding, event, pressed, released)
        if verb in ("scene", "layer", "panic"):
            momentary = verb == "layer" and not binding.toggle
            if pressed:
                if momentary:
                    if name in self.held:
                        return [], []  # a repeated press while down changes nothing
                    self.held[name] = binding
                return [], [Command(verb, binding.argument)]
            if released and momentary and self.held.pop(name, None) is not None:
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
        if verb == "macro":
            return self._macro(name, binding, event)
        self.ignored += 1
        return [], []

    def _macro(
        self, name: str, binding: Binding, event: ControlEvent
    ) -> tuple[list[EngineChange], list[Command]]:
        """A macro control: its position becomes moves of every target (live.macros)."""
        macro = self.macros[binding.argument]
        first = macro.targets[0].index
        param = self.layout.targets[first].param
        now = self.current(first)
        standing = macro.position_of(param.from_position(now if math.isfinite(now) else 0.5))
        previous = self.positions.get(name, standing)
        position = _position(event, previous, binding.step)
        if position is None:
            return [], []
        self.positions[name] = position
        if macro.mode == "set":
            state = self.takeovers.get(name)
            if state is None:  # picks up where the first target stands when first touched
                state = self.takeovers[name] = make_takeover(binding.takeover, standing)
            moved = state.move(position)
            if moved is None:
                return [], []
            position = moved
        moves = macro.moves(position)
        changes = [EngineChange(t, v) for t, v in moves.engine]
        commands = [Command("hold", name, t, v) for t, v in moves.holds]
        commands += [Command("performer", m, t, p, d) for t, m, p, d in moves.performer]
        commands += [Command("mix", binding.argument, t, m) for t, m in moves.mix]
        return changes, commands

    def _gate_level(self, binding: Binding, velocity: float) -> float:
        """Gate level in dB: velocity 0..1 over the binding's range (default: whole gain)."""
        low, high = binding.range or (LAYER_GAIN.low, LAYER_GAIN.high)
        return float(to_range(velocity, low, high, binding.curve or LAYER_GAIN.curve))

    def _gate(
        self, name: str, binding: Binding, event: ControlEvent, pressed: bool, released: bool
    ) -> tuple[list[EngineChange], list[Command]]:
        """Open the layer at the velocity's level while held; fade it out on release."""
        target = self.layout.index(f"{binding.argument}.gain_db")
        if pressed:
            velocity = event.velocity / 127.0 if isinstance(event, NoteOn) else 1.0
            level = self._gate_level(binding, velocity)
            self.held[name] = binding
        elif released and self.held.pop(name, None) is not None:
            level = self._gate_level(binding, 0.0)
        else:
            return [], []
        return [EngineChange(target, level)], [Command("hold", name, target, level)]

    def release_all(self) -> tuple[list[EngineChange], list[Command]]:
        """Let go of every held control, as if each had sent its note-off.

        For a controller that vanished mid-show: gates fade out, momentary
        layers come back. Safe to call when nothing is held.
        """
        changes: list[EngineChange] = []
        commands: list[Command] = []
        for name, binding in list(self.held.items()):
            if binding.verb == "gate":
                c, k = self._gate(name, binding, NoteOff(0, 0), False, True)
            else:
                self.held.pop(name, None)
                c, k = [], [Command(binding.verb, binding.argument)]
            changes.extend(c)
            commands.extend(k)
        return changes, commands

    def _is_echo(self, target: int, position: float) -> bool:
        return any(abs(position - e) <= 1e-6 for e in self.echoes.get(target, ()))

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
        current = self._current_position(binding, target)
        seen, self.seen[name] = self.seen.get(name), current
        echo = self._is_echo(target, current)
        if echo:
            self.awaiting.pop(target, None)
        moved_at = self.awaiting.get(target)
        stale = moved_at is not None and self.clock() - moved_at < ECHO_WAIT
        state = self.takeovers.get(name)
        if state is None:
            state = make_takeover(binding.takeover, current)
            self.takeovers[name] = state
        elif seen is not None and abs(current - seen) > 1e-9 and not echo and not stale:
            # The published value changed, not because of us and not because it still
            # lags our last move: a scene, the body or panic moved the parameter, so
            # the fader must pick it up again.
            state.set_value(current)
        moved = state.move(position)
        if moved is None:
            return [], []
        native = self._native(binding, target, moved)
        # What the control process will publish back for this move, in binding positions.
        echoed = self._in_binding(
            binding, target, self.layout.targets[target].param.to_position(native)
        )
        self.echoes.setdefault(target, deque(maxlen=ECHO_MEMORY)).append(echoed)
        self.awaiting.setdefault(target, self.clock())
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
