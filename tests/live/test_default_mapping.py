"""The default MIDI mapping: notes fire one-shot events with no controller profile.

Pure parts: which notes do what, the profile built from them, the router's
answer to a note-on, and the line-precise error for a [midi] table naming an
event no patch has. The live path is in test_latency_probe.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from symphony.errors import PerformanceError
from symphony.live.default_mapping import default_profile, describe, note_bindings
from symphony.live.midi_router import EngineChange, Router
from symphony.mapping.layout import ControlLayout
from symphony.midi.messages import MidiParser
from symphony.performance.loader import load_performance

ROOT = Path(__file__).resolve().parents[2]
PROBE = ROOT / "performances" / "latency-probe.toml"
DEMO = ROOT / "performances" / "demo.toml"
TONE = ROOT / "tests" / "fixtures" / "patches" / "tone.py"


def _route(perf_path: Path, data: list[int]) -> list[EngineChange]:
    perf = load_performance(perf_path)
    layout = ControlLayout(perf.spec, perf.patches)
    profile = default_profile(*note_bindings(perf.spec, layout), perf.path)
    router = Router(profile, layout, lambda target: float("nan"))
    changes: list[EngineChange] = []
    for event in MidiParser(profile.parser_config()).parse(data):
        changes.extend(router.route(event)[0])
    return changes


def test_probe_binds_note_60_on_channel_1_to_its_click() -> None:
    perf = load_performance(PROBE)
    layout = ControlLayout(perf.spec, perf.patches)
    assert note_bindings(perf.spec, layout) == (1, {60: "probe.click"})
    # The click has voices although no trigger drives it: [midi] asked for them.
    assert not perf.spec.triggers
    assert len(layout.voices["probe.click"]) == perf.spec.participants.voices
    assert "note 60 -> probe.click" in describe(1, {60: "probe.click"})


def test_note_on_fires_a_voice_with_its_velocity() -> None:
    perf = load_performance(PROBE)
    layout = ControlLayout(perf.spec, perf.patches)
    voice = layout.voices["probe.click"][0]
    changes = _route(PROBE, [0x90, 60, 127])
    assert changes == [
        EngineChange(voice.pan, 0.5),
        EngineChange(voice.velocity, 1.0),
        EngineChange(voice.fire, 1.0),
    ]


@pytest.mark.parametrize(
    "data",
    [
        [0x80, 60, 0],  # note-off
        [0x90, 60, 0],  # note-on with velocity 0 is a note-off
        [0x91, 60, 100],  # channel 2
        [0x90, 61, 100],  # another note
        [0xB0, 60, 127],  # a CC with the same number
    ],
)
def test_other_messages_fire_nothing(data: list[int]) -> None:
    assert _route(PROBE, data) == []


def test_without_a_midi_table_trigger_families_sit_on_notes_from_60() -> None:
    perf = load_performance(DEMO)
    layout = ControlLayout(perf.spec, perf.patches)
    assert perf.spec.midi is None
    channel, notes = note_bindings(perf.spec, layout)
    assert channel == 1
    assert notes == {60: "heartbeat.beat"}
    fire = {c.target for c in _route(DEMO, [0x90, 60, 90])}
    beat_fires = {v.fire for v in layout.voices["heartbeat.beat"]}
    assert fire & beat_fires


def _show(tmp_path: Path, midi: str) -> Path:
    path = tmp_path / "show.toml"
    path.write_text(
        f"""[performance]
duration = 10

[[layers]]
name = "t"
patch = "{TONE}"

{midi}
"""
    )
    return path


def test_a_midi_note_naming_no_event_is_a_line_precise_error(tmp_path: Path) -> None:
    path = _show(tmp_path, '[midi]\nchannel = 2\n\n[midi.notes]\n60 = "t.ping"\n61 = "t.pong"\n')
    with pytest.raises(PerformanceError) as info:
        load_performance(path)
    message = str(info.value)
    assert f"{path}:13" in message
    assert "midi.notes.61" in message
    assert "no event 't.pong'" in message
    assert "t.ping" in message  # the suggestion


def test_a_note_number_out_of_range_is_an_error(tmp_path: Path) -> None:
    path = _show(tmp_path, '[midi.notes]\n128 = "t.ping"\n')
    with pytest.raises(PerformanceError) as info:
        load_performance(path)
    assert "note '128' must be a note number 0..127" in str(info.value)


def test_midi_only_events_add_targets_after_existing_ones(tmp_path: Path) -> None:
    plain = load_performance(_show(tmp_path, ""))
    (tmp_path / "b").mkdir()
    bound = load_performance(_show(tmp_path / "b", '[midi.notes]\n64 = "t.ping"\n'))
    before = [t.name for t in ControlLayout(plain.spec, plain.patches).targets]
    after = [t.name for t in ControlLayout(bound.spec, bound.patches).targets]
    assert after[: len(before)] == before  # session logs and indices stay put
    assert after[len(before) :][:3] == ["t.ping#0.pan", "t.ping#0.velocity", "t.ping#0.fire"]
