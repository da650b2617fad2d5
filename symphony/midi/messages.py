"""Raw MIDI bytes to typed control events, with the quirks of real controllers.

A controller's byte stream is ambiguous on its own: CC 6 may be a knob or the
data entry of an NRPN, CC 20 may be an absolute fader or an endless encoder.
The profile resolves the ambiguity, so the `MidiParser` is configured with
which CCs are 14-bit pairs, which are relative encoders (and in which
encoding) and which channels speak NRPN; everything else is a plain 7-bit CC.

System messages (SysEx, clock, active sensing...) carry nothing a performance
uses. A `FloodGuard` drops them before any parsing, counts them, and bounds
the channel events admitted per audio block, so a misbehaving device costs a
counter increment per message, never a stuck note or a late block. Note-offs
are always admitted: dropping one would leave a note sounding forever.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

Encoding = Literal["twos_complement", "signed_bit", "offset64", "offset16"]
ENCODINGS: tuple[str, ...] = get_args(Encoding)

# NRPN / RPN controller numbers (MIDI 1.0 specification, table III).
CC_DATA_MSB, CC_DATA_LSB = 6, 38
CC_DATA_INC, CC_DATA_DEC = 96, 97
CC_NRPN_LSB, CC_NRPN_MSB = 98, 99
CC_RPN_LSB, CC_RPN_MSB = 100, 101
NRPN_CCS = frozenset({CC_DATA_MSB, CC_DATA_LSB, CC_DATA_INC, CC_DATA_DEC, 98, 99, 100, 101})


@dataclass(frozen=True, slots=True)
class NoteOn:
    channel: int  # 1..16 everywhere in symphony, as printed on devices
    note: int
    velocity: int  # 1..127; velocity 0 arrives as NoteOff


@dataclass(frozen=True, slots=True)
class NoteOff:
    channel: int
    note: int
    velocity: int = 0


@dataclass(frozen=True, slots=True)
class ControlChange:
    """An absolute 7-bit CC (0..127)."""

    channel: int
    number: int
    value: int


@dataclass(frozen=True, slots=True)
class ControlChange14:
    """An absolute 14-bit CC pair (MSB cc 0..31, LSB cc+32), value 0..16383."""

    channel: int
    number: int  # the MSB controller number
    value: int


@dataclass(frozen=True, slots=True)
class RelativeChange:
    """An endless encoder tick: signed steps, already decoded."""

    channel: int
    number: int
    delta: int


@dataclass(frozen=True, slots=True)
class NrpnChange:
    """An NRPN data entry, value 0..16383 (MSB alone gives msb << 7)."""

    channel: int
    parameter: int  # 14-bit parameter number
    value: int


@dataclass(frozen=True, slots=True)
class NrpnStep:
    """An NRPN data increment (+1) or decrement (-1)."""

    channel: int
    parameter: int
    delta: int


@dataclass(frozen=True, slots=True)
class PitchBend:
    channel: int
    value: int  # -8192..8191


@dataclass(frozen=True, slots=True)
class ProgramChange:
    channel: int
    program: int


ControlEvent = (
    NoteOn
    | NoteOff
    | ControlChange
    | ControlChange14
    | RelativeChange
    | NrpnChange
    | NrpnStep
    | PitchBend
    | ProgramChange
)


def decode_relative(value: int, encoding: Encoding) -> int:
    """One encoder byte to signed steps, in the encodings controllers use.

    - ``twos_complement``: 1..63 up, 127..65 down (127 = -1); Arturia "Relative 2".
    - ``signed_bit``: sign-magnitude, bit 6 set means down (65 = -1); Mackie style.
    - ``offset64``: binary offset, 64 is zero (65 = +1, 63 = -1); Arturia "Relative 1".
    - ``offset16``: binary offset around 16 (17 = +1, 15 = -1); Arturia "Relative 3".
    """
    value &= 0x7F
    if encoding == "twos_complement":
        return value - 128 if value >= 64 else value
    if encoding == "signed_bit":
        return -(value & 0x3F) if value & 0x40 else value
    if encoding == "offset64":
        return value - 64
    if encoding == "offset16":
        return value - 16
    raise ValueError(f"unknown encoding {encoding!r}; expected one of {', '.join(ENCODINGS)}")


MessageKind = Literal["channel", "sysex", "clock", "active_sensing", "system", "invalid"]


def classify(data: Sequence[int]) -> MessageKind:
    """What a raw message is, from its status byte alone (cheap, for the guard)."""
    if not data:
        return "invalid"
    status = data[0]
    if status < 0x80:
        return "invalid"
    if status < 0xF0:
        return "channel"
    if status == 0xF0:
        return "sysex"
    if status == 0xF8:
        return "clock"
    if status == 0xFE:
        return "active_sensing"
    return "system"


@dataclass
class FloodGuard:
    """Drop system messages, bound channel events per block, count everything.

    Call `admit(data)` for every raw message and `new_block()` at each audio
    block (or each poll of the MIDI queue). Counters only ever grow, so a
    console can show rates by differencing.
    """

    max_events_per_block: int = 256
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("channel", "sysex", "clock", "active_sensing", "system", "invalid", "dropped"), 0
        )
    )
    in_block: int = 0

    def admit(self, data: Sequence[int]) -> bool:
        kind = classify(data)
        self.counts[kind] += 1
        if kind != "channel":
            return False
        if self.in_block >= self.max_events_per_block and not is_note_off(data):
            self.counts["dropped"] += 1
            return False
        self.in_block += 1
        return True

    def new_block(self) -> None:
        self.in_block = 0


def is_note_off(data: Sequence[int]) -> bool:
    """A note-off, including note-on with velocity 0."""
    if len(data) < 3:
        return False
    kind = data[0] & 0xF0
    return kind == 0x80 or (kind == 0x90 and data[2] == 0)


@dataclass
class _NrpnState:
    parameter_msb: int = 0x7F
    parameter_lsb: int = 0x7F
    registered: bool = False  # RPN selected: its data entry is not ours
    data_msb: int = 0

    @property
    def selected(self) -> int | None:
        if self.registered or (self.parameter_msb == 0x7F and self.parameter_lsb == 0x7F):
            return None
        return (self.parameter_msb << 7) | self.parameter_lsb


@dataclass(frozen=True)
class ParserConfig:
    """What the profile says the ambiguous controllers are.

    `cc14` holds (channel, msb number) pairs; `relative` maps (channel,
    number) to an encoding; `nrpn_channels` are channels whose CC 6/38/96..101
    are NRPN traffic rather than knobs.
    """

    cc14: frozenset[tuple[int, int]] = frozenset()
    relative: dict[tuple[int, int], Encoding] = field(default_factory=dict)
    nrpn_channels: frozenset[int] = frozenset()


class MidiParser:
    """Stateful parser: raw bytes in, typed events out.

    State is kept per channel for 14-bit pairs and NRPN selection, as the
    MIDI specification asks: a new MSB resets the LSB to zero, so a pair
    yields the coarse value at once and the exact value when the LSB lands
    (no waiting for a byte that may never come).
    """

    def __init__(self, config: ParserConfig | None = None) -> None:
        self.config = config or ParserConfig()
        self._msb: dict[tuple[int, int], int] = {}
        self._nrpn: dict[int, _NrpnState] = {}
        self._lsb_to_msb = {(ch, n + 32): n for ch, n in self.config.cc14}

    def parse(self, data: Sequence[int]) -> list[ControlEvent]:
        """Events from one raw channel message (system messages give none)."""
        if len(data) < 2 or not 0x80 <= data[0] < 0xF0:
            return []
        kind, channel = data[0] & 0xF0, (data[0] & 0x0F) + 1
        d1 = data[1] & 0x7F
        d2 = data[2] & 0x7F if len(data) > 2 else 0
        if kind == 0x90:
            return [NoteOn(channel, d1, d2) if d2 > 0 else NoteOff(channel, d1, 0)]
        if kind == 0x80:
            return [NoteOff(channel, d1, d2)]
        if kind == 0xB0:
            return self._control(channel, d1, d2)
        if kind == 0xE0:
            return [PitchBend(channel, ((d2 << 7) | d1) - 8192)]
        if kind == 0xC0:
            return [ProgramChange(channel, d1)]
        return []  # aftertouch: not used by any binding

    def parse_many(self, messages: Iterable[Sequence[int]]) -> list[ControlEvent]:
        out: list[ControlEvent] = []
        for data in messages:
            out.extend(self.parse(data))
        return out

    def _control(self, channel: int, number: int, value: int) -> list[ControlEvent]:
        key = (channel, number)
        if channel in self.config.nrpn_channels and number in NRPN_CCS:
            return self._nrpn_cc(channel, number, value)
        encoding = self.config.relative.get(key)
        if encoding is not None:
            return [RelativeChange(channel, number, decode_relative(value, encoding))]
        if key in self.config.cc14:
            self._msb[key] = value
            return [ControlChange14(channel, number, value << 7)]
        msb_number = self._lsb_to_msb.get(key)
        if msb_number is not None:
            msb = self._msb.get((channel, msb_number), 0)
            return [ControlChange14(channel, msb_number, (msb << 7) | value)]
        return [ControlChange(channel, number, value)]

    def _nrpn_cc(self, channel: int, number: int, value: int) -> list[ControlEvent]:
        state = self._nrpn.setdefault(channel, _NrpnState())
        if number == CC_NRPN_MSB:
            state.parameter_msb, state.registered = value, False
        elif number == CC_NRPN_LSB:
            state.parameter_lsb, state.registered = value, False
        elif number in (CC_RPN_MSB, CC_RPN_LSB):
            state.registered = True
        else:
            parameter = state.selected
            if parameter is None:
                return []
            if number == CC_DATA_MSB:
                state.data_msb = value
                return [NrpnChange(channel, parameter, value << 7)]
            if number == CC_DATA_LSB:
                return [NrpnChange(channel, parameter, (state.data_msb << 7) | value)]
            # The data byte of increment/decrement is ignored, as MIDI 1.0 says.
            return [NrpnStep(channel, parameter, 1 if number == CC_DATA_INC else -1)]
        return []


def mido_bytes(message: Any) -> list[int]:
    """A mido message as raw bytes, so mido and rtmidi input share one parser."""
    return list(message.bytes())


class HeldNotes:
    """Which notes are down, so a lost controller's notes can be released.

    Keyed by (channel, note); a note-on for a held note counts once.
    """

    def __init__(self) -> None:
        self._held: dict[tuple[int, int], int] = {}

    def observe(self, event: ControlEvent) -> None:
        if isinstance(event, NoteOn):
            self._held[(event.channel, event.note)] = event.velocity
        elif isinstance(event, NoteOff):
            self._held.pop((event.channel, event.note), None)

    def held(self) -> list[tuple[int, int]]:
        return sorted(self._held)

    def release_all(self) -> list[NoteOff]:
        """Note-offs for every held note, and forget them."""
        offs = [NoteOff(ch, note) for ch, note in sorted(self._held)]
        self._held.clear()
        return offs

    def __len__(self) -> int:
        return len(self._held)
