"""MIDI learn as a pure state machine: prompt, listen, detect, accept, write.

The performer is asked to move each control in turn (`prompts`). Messages
are fed in with the name of the port they came from; anything not from the
controller being learned (other controllers, a sequencer's clock, the
biosignal bridge) is ignored, so learn works in the live console while the
show runs. From the stream of one control the kind is detected:

- notes: a pad if any velocity is below 127, otherwise a button;
- a CC that only takes two values (0/127): a button;
- a CC whose values repeat around the centre of a relative encoding: an
  encoder in that encoding (turning it both ways removes the ambiguity
  between two's complement and sign-magnitude);
- an MSB on cc 0..31 with its LSB on cc+32: a 14-bit fader or knob;
- CC 99/98 then 6/38 (or 96/97): an NRPN control;
- otherwise an absolute fader or knob (which one follows the prompt's name).

Nothing here waits or reads a clock: the caller decides when a guess is
good enough (a key press, or a pause in the stream) and calls `accept`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from symphony.midi.messages import NRPN_CCS, Encoding, decode_relative
from symphony.midi.profiles import Binding, ControlKind, MessageType, parse_profile

MIN_CONTINUOUS = 4  # messages before a continuous control is guessed


@dataclass(frozen=True)
class Detected:
    """What one control turned out to be; `ambiguous` asks for a wider move."""

    kind: ControlKind
    message: MessageType
    channel: int
    number: int
    encoding: Encoding | None = None
    ambiguous: bool = False

    @property
    def address(self) -> tuple[str, int, int]:
        return ("cc" if self.message == "cc14" else self.message, self.channel, self.number)


def _continuous_kind(name: str) -> ControlKind:
    lowered = name.lower()
    return "fader" if "fader" in lowered or "slider" in lowered else "knob"


def _relative_encoding(values: Sequence[int]) -> tuple[Encoding, bool] | None:
    """The encoding whose decoded steps are all small and non-zero, if any."""
    candidates: list[Encoding] = []
    for encoding in ("offset64", "twos_complement", "signed_bit", "offset16"):
        steps = [decode_relative(v, encoding) for v in values]
        if all(0 < abs(s) <= 15 for s in steps):
            candidates.append(encoding)
    if not candidates:
        return None
    return candidates[0], len(candidates) > 1


def _detect_cc(name: str, channel: int, ccs: list[tuple[int, int]]) -> Detected | None:
    numbers = {n for n, _ in ccs}
    if {99, 98} <= numbers and numbers & {6, 38, 96, 97}:
        msb = next(v for n, v in reversed(ccs) if n == 99)
        lsb = next(v for n, v in reversed(ccs) if n == 98)
        kind: ControlKind = "encoder" if numbers & {96, 97} else _continuous_kind(name)
        return Detected(kind, "nrpn", channel, (msb << 7) | lsb)
    pairs = sorted(n for n in numbers if n < 32 and n + 32 in numbers)
    if pairs and len(ccs) >= 2 * MIN_CONTINUOUS:
        return Detected(_continuous_kind(name), "cc14", channel, pairs[0])
    number = max(numbers, key=lambda n: sum(1 for m, _ in ccs if m == n))
    values = [v for n, v in ccs if n == number]
    distinct = set(values)
    if distinct <= {0, 127} or (len(distinct) == 2 and 0 in distinct and len(values) <= 4):
        return Detected("button", "cc", channel, number)
    if len(values) < MIN_CONTINUOUS:
        return None
    # An absolute control sends a new value each time; an encoder turned slowly
    # repeats its one-step byte, and one turned back jumps across the range.
    repeats = sum(1 for a, b in pairwise(values) if a == b)
    leaps = sum(1 for a, b in pairwise(values) if abs(a - b) > 32)
    relative = _relative_encoding(values)
    if relative is not None and (repeats * 4 >= len(values) - 1 or leaps > 0):
        encoding, ambiguous = relative
        return Detected("encoder", "cc", channel, number, encoding, ambiguous)
    return Detected(_continuous_kind(name), "cc", channel, number)


def detect(name: str, messages: Sequence[Sequence[int]]) -> Detected | None:
    """Guess a control from the raw channel messages it sent (None: not sure yet)."""
    notes = [m for m in messages if len(m) >= 3 and (m[0] & 0xF0) == 0x90 and m[2] > 0]
    if notes:
        first = notes[0]
        kind: ControlKind = "pad" if any(m[2] < 127 for m in notes) else "button"
        return Detected(kind, "note", (first[0] & 0x0F) + 1, first[1])
    ccs = [m for m in messages if len(m) >= 3 and (m[0] & 0xF0) == 0xB0]
    if not ccs:
        return None
    channel = (ccs[-1][0] & 0x0F) + 1
    return _detect_cc(name, channel, [(m[1], m[2]) for m in ccs if (m[0] & 0x0F) + 1 == channel])


@dataclass
class LearnSession:
    """Walk through `prompts`, one control at a time, from one port only."""

    prompts: list[str]
    port: str  # case-insensitive substring of the controller's port name
    learned: dict[str, Detected] = field(default_factory=dict)
    _step: int = 0
    _heard: list[list[int]] = field(default_factory=list)
    _history: list[int] = field(default_factory=list)  # steps accepted or skipped, for undo

    @property
    def current(self) -> str | None:
        return self.prompts[self._step] if self._step < len(self.prompts) else None

    @property
    def heard(self) -> int:
        """Messages counted toward the current prompt (others' and repeats are not)."""
        return len(self._heard)

    @property
    def done(self) -> bool:
        return self.current is None

    def instruction(self) -> str:
        name = self.current
        if name is None:
            return "all controls learned"
        return f"move '{name}' ({self._step + 1}/{len(self.prompts)})"

    def feed(self, source: str, data: Sequence[int]) -> Detected | None:
        """Hear one message; returns the current guess (None: keep moving)."""
        if self.current is None or self.port.lower() not in source.lower():
            return None
        if not data or not 0x80 <= data[0] < 0xF0:
            return self.guess()  # clock, SysEx, active sensing: not a control
        if _raw_address(data) in {d.address for d in self.learned.values()}:
            return self.guess()  # a control already learned, moved by accident
        self._heard.append(list(data))
        return self.guess()

    def guess(self) -> Detected | None:
        return None if self.current is None else detect(self.current, self._heard)

    def accept(self) -> Detected:
        """Keep the current guess and go to the next prompt."""
        name, guess = self.current, self.guess()
        if name is None or guess is None:
            raise ValueError("nothing to accept: move the control first")
        self.learned[name] = guess
        self._history.append(self._step)
        self._step += 1
        self._heard = []
        return guess

    def skip(self) -> None:
        if self.current is not None:
            self._history.append(self._step)
            self._step += 1
            self._heard = []

    def undo(self) -> None:
        """Back to the previous prompt, forgetting what it learned."""
        self._heard = []
        if self._history:
            self._step = self._history.pop()
            self.learned.pop(self.prompts[self._step], None)

    def clear(self) -> None:
        """Forget everything and start again from the first prompt."""
        self.learned.clear()
        self._history.clear()
        self._heard = []
        self._step = 0

    def to_toml(self, name: str, bindings: Mapping[str, Binding] | None = None) -> str:
        """A profile with the learned controls, and `bindings` for those learned.

        Without bindings (a bare list of control names) they are left to the
        performer; from a template profile or a performance they come along.
        """
        lines = [
            "# Written by symphony learn.",
            "",
            "[controller]",
            f"name = {_quote(name)}",
            f"port = {_quote(self.port)}",
            "",
            "[controls]",
        ]
        for control in self.prompts:
            d = self.learned.get(control)
            if d is None:
                continue
            fields = [
                f'kind = "{d.kind}"',
                f'message = "{d.message}"',
                f"channel = {d.channel}",
                f"number = {d.number}",
            ]
            if d.encoding is not None:
                fields.append(f'encoding = "{d.encoding}"')
            lines.append(f"{control} = {{ {', '.join(fields)} }}")
        lines += ["", "[bindings]"]
        for control, binding in (bindings or {}).items():
            if control in self.learned:
                lines.append(f"{control} = {_inline(binding.model_dump(exclude_defaults=True))}")
        lines.append("")
        return "\n".join(lines)

    def write(self, path: Path, name: str, bindings: Mapping[str, Binding] | None = None) -> None:
        """Write the profile, after checking it loads as any profile would."""
        text = self.to_toml(name, bindings)
        parse_profile(text, path)
        path.write_text(text, encoding="utf-8")


def _raw_address(data: Sequence[int]) -> tuple[str, int, int] | None:
    """(family, channel, number) of a raw note or CC; NRPN traffic CCs are shared."""
    if len(data) < 2:
        return None
    kind, channel = data[0] & 0xF0, (data[0] & 0x0F) + 1
    if kind in (0x80, 0x90):
        return ("note", channel, data[1])
    if kind == 0xB0 and data[1] not in NRPN_CCS:
        return ("cc", channel, data[1])
    return None


def _value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return _quote(v)
    if isinstance(v, tuple | list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return repr(v)


def _inline(fields: Mapping[str, object]) -> str:
    return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in fields.items()) + " }"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
