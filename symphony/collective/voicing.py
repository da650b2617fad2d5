"""Every person's own voice: from the room as heard to engine changes.

At each room update the room stage hands over the people as the room hears
them (`Presence`, in join order). `RoomVoices.update` keeps the voice
allocation (`collective.voices`) and returns the engine changes for the
continuous voices; `RoomVoices.beat` those for one person's trigger (a
heartbeat: their voice's pan, velocity and fire). Each change carries the
participant it belongs to, so the session log can leave out what a person
without `record` consent shaped.

The mapping from a person's features to their voice (`voice_values`) is a
pure function; the only state is the allocation and the last value sent per
target (changes only), both advanced by the calls in order, never by a clock.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from symphony.collective.room import Presence
from symphony.collective.voices import TriggerVoices, VoiceRotation
from symphony.features.simple import FEATURES
from symphony.mapping.curves import Curve, to_range
from symphony.mapping.layout import ControlLayout, PersonVoiceTargets, VoiceTargets
from symphony.performance.schema import PerformanceSpec, VoiceParamSpec

Change = tuple[int, float, str]  # (target index, value, owning participant)
# Per-person features that are positions in a cycle: they pass through unmapped.
CYCLIC_PERSON_FEATURES = frozenset({"breath_phase"})


@dataclass(frozen=True)
class ParamRule:
    """One voice parameter from one feature: feature range -> parameter range."""

    name: str
    source: str
    in_range: tuple[float, float] | None  # None: pass through (a cyclic feature)
    out_range: tuple[float, float]
    curve: Curve
    invert: bool

    def value(self, x: float) -> float:
        if self.in_range is None:
            return x
        lo, hi = self.in_range
        u = min(1.0, max(0.0, (x - lo) / (hi - lo)))
        if self.invert:
            u = 1.0 - u
        return float(to_range(u, self.out_range[0], self.out_range[1], self.curve))


@dataclass(frozen=True)
class VoiceBinding:
    """A `[[voices]]` entry compiled against the layout: its targets and rules."""

    target: str
    voices: tuple[PersonVoiceTargets, ...]
    rules: tuple[ParamRule, ...]
    rotation: float
    fade: float


def _rule(name: str, spec: VoiceParamSpec, low: float, high: float) -> ParamRule:
    if spec.source in CYCLIC_PERSON_FEATURES:
        return ParamRule(name, spec.source, None, (low, high), "linear", False)
    info = FEATURES[spec.source]
    return ParamRule(
        name,
        spec.source,
        spec.in_range or (float(info.low), float(info.high)),
        spec.out_range or (low, high),
        spec.curve,
        spec.invert,
    )


def bindings(spec: PerformanceSpec, layout: ControlLayout) -> list[VoiceBinding]:
    """Every `[[voices]]` entry of a (validated) performance."""
    out = []
    for entry in spec.voices:
        voices = tuple(layout.person_voices.get(entry.target, ()))
        rules = []
        for name, mapping in entry.params.items():
            param = layout.targets[voices[0].params[name]].param if voices else None
            if param is not None:
                rules.append(_rule(name, mapping, param.low, param.high))
        out.append(VoiceBinding(entry.target, voices, tuple(rules), entry.rotation, entry.fade))
    return out


def voice_values(
    presences: Sequence[Presence],
    owners: Sequence[str | None],
    last_owners: Sequence[str],
    binding: VoiceBinding,
) -> list[Change]:
    """Every value of a family's voices for the room now (pure).

    A voice with an owner plays at the owner's seat, at the owner's gain, with
    parameters from the owner's features (an unknown feature sends nothing,
    so the engine holds the last value). A voice without one (being handed
    on, or its person gone) gets level 0, which the engine glides down over
    the fade: a voice never clicks off. Seats are listed before levels, so a
    voice taking a new person moves while it is still silent.
    """
    by_name = {p.participant: p for p in presences}
    changes: list[Change] = []
    for voice, owner, last in zip(binding.voices, owners, last_owners, strict=True):
        person = by_name.get(owner) if owner is not None else None
        if person is None:
            changes.append((voice.level, 0.0, last))
            continue
        who = person.participant
        changes.append((voice.seat, float(person.seat), who))
        for rule in binding.rules:
            x = person.features.get(rule.source, math.nan)
            if x is not None and math.isfinite(x):
                changes.append((voice.params[rule.name], rule.value(float(x)), who))
        gain = person.gain if math.isfinite(person.gain) else 0.0
        changes.append((voice.level, min(1.0, max(0.0, gain)), who))
    return changes


ROOM_SEAT = 0.5  # where the room's own events sound: the middle of the seats


def trigger_changes(voice: VoiceTargets, seat: float, velocity: float, who: str) -> list[Change]:
    """One trigger of a person's voice: at their seat, at this velocity."""
    return [(voice.pan, seat, who), (voice.velocity, velocity, who), (voice.fire, 1.0, who)]


class RoomVoices:
    """The voices of one performance through a show: allocation plus changes only."""

    def __init__(self, spec: PerformanceSpec, layout: ControlLayout) -> None:
        self.bindings = bindings(spec, layout)
        self.rotations = [
            VoiceRotation(max(1, len(b.voices)), rotation=b.rotation, fade=b.fade)
            for b in self.bindings
        ]
        self.triggers = {
            t.target: TriggerVoices(max(1, len(layout.voices[t.target]))) for t in spec.triggers
        }
        self.trigger_targets = {t.target: layout.voices[t.target] for t in spec.triggers}
        self.seats: dict[str, float] = {}
        self._sent: dict[int, float] = {}

    def update(self, t: float, presences: Sequence[Presence]) -> list[Change]:
        """Room update at time `t`: the continuous voices' changes (only what moved)."""
        present = [p.participant for p in presences]
        self.seats = {p.participant: float(p.seat) for p in presences}
        for voices in self.triggers.values():
            voices.sync(present)
        eligible = [p.participant for p in presences if math.isfinite(p.gain) and p.gain > 0.0]
        out: list[Change] = []
        for binding, rotation in zip(self.bindings, self.rotations, strict=True):
            if not binding.voices:
                continue
            rotation.update(t, eligible)
            changes = voice_values(presences, rotation.owners(), rotation.last_owners(), binding)
            out.extend(self._changed(changes))
        return out

    def beat(self, target: str, participant: str, velocity: float) -> list[Change]:
        """A trigger of `target` (LAYER.EVENT) for one present person (else nothing)."""
        voices = self.trigger_targets.get(target)
        allocator = self.triggers.get(target)
        if not voices or allocator is None or participant not in self.seats:
            return []
        voice = voices[allocator.join(participant)]
        changes = trigger_changes(voice, self.seats[participant], velocity, participant)
        self._sent[voice.pan] = self.seats[participant]
        return changes

    def room_event(self, target: str, velocity: float) -> list[Change]:
        """A trigger of `target` by the room as a whole (convergence): its first voice,
        in the middle of the seats, and nobody's own (`who` is empty)."""
        voices = self.trigger_targets.get(target)
        if not voices:
            return []
        changes = trigger_changes(voices[0], ROOM_SEAT, velocity, "")
        self._sent[voices[0].pan] = ROOM_SEAT
        return changes

    def _changed(self, changes: list[Change]) -> list[Change]:
        out = []
        for target, value, who in changes:
            if self._sent.get(target) != value:
                self._sent[target] = value
                out.append((target, value, who))
        return out


def stand_in(layout: ControlLayout, target: int) -> float | None:
    """What may be kept in place of a per-person voice change of someone not recorded.

    Their voice's level is kept as 0 (the voice is silent in what is written);
    its seat, parameters and triggers are not kept at all.
    """
    return 0.0 if layout.targets[target].kind == "level" else None
