"""The control surface of a performance: every value the engine can be told.

Both sides of the process boundary build this layout from the same
performance and patches, so a control change travels as two numbers (target
index, value) and the engine never parses names on the audio thread.

Targets, in order: for each layer its patch parameters then ``gain_db``;
then ``master.gain_db``; then, for each trigger family, per voice a ``pan``,
a ``velocity`` and a ``fire``; then the same for events that only the
performance's ``[midi]`` notes fire; then, for each ``[[voices]]`` entry,
per person-voice a ``level``, a ``seat`` and each of the family's parameters
(``LAYER.FAMILY#V.NAME``). New kinds of target are always appended, so the
indices of a session log recorded before they existed do not move.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from symphony.engine.params import Param
from symphony.engine.patch import PatchSpec
from symphony.performance.schema import OutputSpec, PerformanceSpec

TargetKind = Literal["param", "gain", "master", "pan", "velocity", "fire", "level", "seat", "voice"]

# Layer and master gains are parameters like any other, in dB.
LAYER_GAIN = Param("gain_db", -80.0, 6.0, 0.0, unit="dB", smoothing=0.05, doc="layer gain")
MASTER_GAIN = Param("gain_db", -60.0, 0.0, 0.0, unit="dB", smoothing=0.05, doc="master gain")
MASTER = "master"


@dataclass(frozen=True)
class Target:
    """One controllable value: its name ('layer.param'), range and kind."""

    index: int
    name: str
    kind: TargetKind
    param: Param
    layer: str
    voice: int = -1


@dataclass(frozen=True)
class VoiceTargets:
    """The three targets of one event voice."""

    pan: int
    velocity: int
    fire: int


@dataclass(frozen=True)
class PersonVoiceTargets:
    """The targets of one continuous voice: level, seat and its parameters by name."""

    level: int
    seat: int
    params: dict[str, int]


def voice_level_param(fade: float) -> Param:
    """A person-voice's level: 0..1, gliding over the performance's fade time."""
    return Param("level", 0.0, 1.0, 0.0, smoothing=fade, doc="the person's presence in the voice")


# A seat only changes while its voice is silent: a quick glide, never heard.
VOICE_SEAT = Param("seat", 0.0, 1.0, 0.5, smoothing=0.005, doc="the person's place, 0..1")


class ControlLayout:
    """Index and describe every target of a performance."""

    def __init__(self, spec: PerformanceSpec, patches: dict[str, PatchSpec]) -> None:
        self.targets: list[Target] = []
        self.by_name: dict[str, Target] = {}
        self.voices: dict[str, list[VoiceTargets]] = {}
        self.person_voices: dict[str, list[PersonVoiceTargets]] = {}
        for layer in spec.layers:
            patch = patches[layer.name]
            for p in patch.params:
                self._add(f"{layer.name}.{p.name}", "param", p, layer.name)
            self._add(f"{layer.name}.gain_db", "gain", LAYER_GAIN, layer.name)
        self._add(f"{MASTER}.gain_db", "master", MASTER_GAIN, MASTER)
        unit = Param("unit", 0.0, 1.0, 0.5, smoothing=0.005)
        for trig in spec.triggers:
            layer_name = trig.target.split(".", 1)[0]
            family: list[VoiceTargets] = []
            for v in range(spec.participants.voices):
                base = f"{trig.target}#{v}"
                pan = self._add(f"{base}.pan", "pan", unit, layer_name, v)
                vel = self._add(f"{base}.velocity", "velocity", unit, layer_name, v)
                fire = self._add(f"{base}.fire", "fire", unit, layer_name, v)
                family.append(VoiceTargets(pan, vel, fire))
            self.voices[trig.target] = family
        # Events only the default MIDI mapping fires ([midi] notes) get voices too,
        # after the trigger families so existing target indices do not move.
        for event in _midi_events(spec):
            if event not in self.voices:
                self.voices[event] = self._family(event, spec.participants.voices, unit)
        for entry in spec.voices:
            layer_name, family_name = entry.target.split(".", 1)
            owner = patches.get(layer_name)
            if owner is None or family_name not in [f.name for f in owner.voice_families]:
                continue  # semantics.py names the unknown family, with its line
            declared = owner.family(family_name)
            level = voice_level_param(entry.fade)
            people: list[PersonVoiceTargets] = []
            for v in range(entry.count):
                base = f"{entry.target}#{v}"
                lvl = self._add(f"{base}.level", "level", level, layer_name, v)
                seat = self._add(f"{base}.seat", "seat", VOICE_SEAT, layer_name, v)
                params = {
                    p.name: self._add(f"{base}.{p.name}", "voice", p, layer_name, v)
                    for p in declared.params
                }
                people.append(PersonVoiceTargets(lvl, seat, params))
            self.person_voices[entry.target] = people

    def _family(self, event: str, count: int, unit: Param) -> list[VoiceTargets]:
        layer_name = event.split(".", 1)[0]
        family: list[VoiceTargets] = []
        for v in range(count):
            base = f"{event}#{v}"
            pan = self._add(f"{base}.pan", "pan", unit, layer_name, v)
            vel = self._add(f"{base}.velocity", "velocity", unit, layer_name, v)
            fire = self._add(f"{base}.fire", "fire", unit, layer_name, v)
            family.append(VoiceTargets(pan, vel, fire))
        return family

    def _add(self, name: str, kind: TargetKind, param: Param, layer: str, voice: int = -1) -> int:
        target = Target(len(self.targets), name, kind, param, layer, voice)
        self.targets.append(target)
        self.by_name[name] = target
        return target.index

    def __len__(self) -> int:
        return len(self.targets)

    def index(self, name: str) -> int:
        return self.by_name[name].index

    def initial_values(self, spec: PerformanceSpec, output: OutputSpec) -> list[float]:
        """Values before the first cue: patch defaults, layer overrides, layer gains."""
        values = [t.param.default for t in self.targets]
        for layer in spec.layers:
            for key, value in layer.params.items():
                values[self.index(f"{layer.name}.{key}")] = value
            values[self.index(f"{layer.name}.gain_db")] = layer.gain_db
        values[self.index(f"{MASTER}.gain_db")] = output.gain_db
        for t in self.targets:
            if t.kind in ("velocity", "fire"):
                values[t.index] = 0.0
        return values

    def continuous(self) -> list[Target]:
        """Targets that hold a value over time (not voice triggers)."""
        return [t for t in self.targets if t.kind in ("param", "gain", "master")]


def _midi_events(spec: PerformanceSpec) -> list[str]:
    """The events named in the performance's [midi] table, in first-seen order."""
    if spec.midi is None:
        return []
    return list(dict.fromkeys(spec.midi.notes.values()))
