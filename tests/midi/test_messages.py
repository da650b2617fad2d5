"""Parsing raw MIDI into control events, against hand-computed expectations."""

from __future__ import annotations

import mido
import pytest

from symphony.midi.messages import (
    ControlChange,
    ControlChange14,
    FloodGuard,
    HeldNotes,
    MidiParser,
    NoteOff,
    NoteOn,
    NrpnChange,
    NrpnStep,
    ParserConfig,
    PitchBend,
    RelativeChange,
    decode_relative,
    mido_bytes,
)


def test_note_on_with_velocity_zero_is_a_note_off() -> None:
    parser = MidiParser()
    assert parser.parse([0x90, 60, 100]) == [NoteOn(1, 60, 100)]
    assert parser.parse([0x90, 60, 0]) == [NoteOff(1, 60, 0)]
    assert parser.parse([0x83, 61, 40]) == [NoteOff(4, 61, 40)]


def test_plain_cc_and_pitch_bend() -> None:
    parser = MidiParser()
    assert parser.parse([0xB1, 7, 99]) == [ControlChange(2, 7, 99)]
    assert parser.parse([0xE0, 0, 64]) == [PitchBend(1, 0)]
    assert parser.parse([0xE0, 127, 127]) == [PitchBend(1, 8191)]


def test_fourteen_bit_pair_gives_coarse_then_exact_value() -> None:
    parser = MidiParser(ParserConfig(cc14=frozenset({(1, 1)})))
    value = 12345
    msb, lsb = value >> 7, value & 0x7F
    events = parser.parse_many([[0xB0, 1, msb], [0xB0, 33, lsb]])
    assert events == [ControlChange14(1, 1, msb << 7), ControlChange14(1, 1, value)]
    # Only the LSB changes: one message, combined with the remembered MSB.
    assert parser.parse([0xB0, 33, 0]) == [ControlChange14(1, 1, msb << 7)]
    # CC 33 on a channel without a pair stays a plain CC.
    assert parser.parse([0xB1, 33, 5]) == [ControlChange(2, 33, 5)]


@pytest.mark.parametrize(
    ("encoding", "byte", "steps"),
    [
        ("twos_complement", 1, 1),
        ("twos_complement", 127, -1),
        ("twos_complement", 120, -8),
        ("signed_bit", 1, 1),
        ("signed_bit", 65, -1),
        ("signed_bit", 72, -8),
        ("offset64", 65, 1),
        ("offset64", 63, -1),
        ("offset64", 56, -8),
        ("offset16", 17, 1),
        ("offset16", 15, -1),
    ],
)
def test_relative_encodings(encoding: str, byte: int, steps: int) -> None:
    assert decode_relative(byte, encoding) == steps  # type: ignore[arg-type]


def test_relative_encoder_cc_becomes_signed_steps() -> None:
    parser = MidiParser(ParserConfig(relative={(1, 20): "offset64"}))
    assert parser.parse_many([[0xB0, 20, 66], [0xB0, 20, 61]]) == [
        RelativeChange(1, 20, 2),
        RelativeChange(1, 20, -3),
    ]


def test_nrpn_select_data_and_steps() -> None:
    parser = MidiParser(ParserConfig(nrpn_channels=frozenset({1})))
    parameter = (3 << 7) | 17
    events = parser.parse_many(
        [
            [0xB0, 99, 3],
            [0xB0, 98, 17],
            [0xB0, 6, 100],
            [0xB0, 38, 5],
            [0xB0, 96, 0],
            [0xB0, 97, 0],
        ]
    )
    assert events == [
        NrpnChange(1, parameter, 100 << 7),
        NrpnChange(1, parameter, (100 << 7) | 5),
        NrpnStep(1, parameter, 1),
        NrpnStep(1, parameter, -1),
    ]
    # An RPN selection or the null parameter silences data entry for NRPN.
    assert parser.parse_many([[0xB0, 101, 0], [0xB0, 100, 0], [0xB0, 6, 2]]) == []
    assert parser.parse_many([[0xB0, 99, 127], [0xB0, 98, 127], [0xB0, 6, 2]]) == []
    # On a channel without NRPN, CC 6 is an ordinary knob.
    assert parser.parse([0xB1, 6, 9]) == [ControlChange(2, 6, 9)]


def test_mido_messages_share_the_parser() -> None:
    parser = MidiParser()
    msg = mido.Message("note_on", channel=2, note=64, velocity=0)
    assert parser.parse(mido_bytes(msg)) == [NoteOff(3, 64, 0)]


def test_flood_guard_drops_and_counts_system_messages() -> None:
    guard = FloodGuard(max_events_per_block=4)
    flood = [[0xF8]] * 5000 + [[0xFE]] * 3000 + [[0xF0, 1, 2, 0xF7]] * 2000 + [[0xFA]]
    assert not any(guard.admit(m) for m in flood)
    assert guard.counts["clock"] == 5000
    assert guard.counts["active_sensing"] == 3000
    assert guard.counts["sysex"] == 2000
    assert guard.counts["system"] == 1
    assert guard.counts["channel"] == 0


def test_flood_guard_bounds_a_block_but_never_drops_note_offs() -> None:
    guard = FloodGuard(max_events_per_block=3)
    ccs = [[0xB0, 1, v] for v in range(10)]
    admitted = [guard.admit(m) for m in ccs]
    assert admitted == [True] * 3 + [False] * 7
    assert guard.counts["dropped"] == 7
    assert guard.admit([0x80, 60, 0]) and guard.admit([0x90, 61, 0])
    assert not guard.admit([0x90, 62, 100])
    guard.new_block()
    assert guard.admit([0xB0, 1, 1])


def test_held_notes_release_everything_still_down() -> None:
    parser, held = MidiParser(), HeldNotes()
    for raw in ([0x90, 60, 90], [0x90, 64, 90], [0x91, 60, 10], [0x90, 60, 0]):
        for event in parser.parse(raw):
            held.observe(event)
    assert held.held() == [(1, 64), (2, 60)]
    assert held.release_all() == [NoteOff(1, 64), NoteOff(2, 60)]
    assert len(held) == 0
