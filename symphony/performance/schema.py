"""The schema of a performance file, checked on load.

Every table and key a performance file may hold is declared here, with its
type, range and default, so a typo or an out-of-range value is caught before
a single sample is rendered. Unknown keys are errors (``extra="forbid"``): a
misspelt ``crossfade`` silently ignored would wreck a show.

Cross-references (does this patch have that parameter? does that scene
exist?) need the patches loaded and are checked in `semantics.py`.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, field_validator

from symphony.engine.speakers import LayoutName, SpeakerLayout
from symphony.mapping.curves import Curve
from symphony.performance.timecode import parse_time
from symphony.sanctuary.spec import ProgrammeSpec, SanctuarySpec

Seconds = Annotated[float, BeforeValidator(parse_time)]
Name = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$", max_length=64)]
Target = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*\.[A-Za-z_][A-Za-z0-9_]*$")]
SimState = Literal["calm", "aroused", "together", "restless"]

# The ceiling is a hearing-safety promise: it can be lowered, never raised.
MAX_CEILING_DBTP = -1.0


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PerformanceMeta(_Strict):
    title: str = "Untitled performance"
    description: str = ""
    duration: Seconds = Field(gt=0, le=7 * 24 * 3600)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class OutputSpec(_Strict):
    sample_rate: Literal[44100, 48000, 88200, 96000] = 48000
    channels: Literal[2, 4, 8] = 2
    ceiling_dbtp: float = Field(default=MAX_CEILING_DBTP, ge=-24.0, le=MAX_CEILING_DBTP)
    block_size: Literal[64, 128, 256, 512, 1024] = 256
    gain_db: float = Field(default=0.0, ge=-60.0, le=0.0)
    max_gain_rise_db_per_s: float = Field(default=6.0, gt=0.0, le=60.0)
    control_rate: float = Field(default=50.0, ge=10.0, le=200.0)
    # The master limiter's look-ahead delays every sound by its length; 0 trades
    # gliding over the first transient of a peak for the lowest latency.
    limiter_lookahead_ms: float = Field(default=5.0, ge=0.0, le=5.0)
    # Where the speakers are: a named layout, or each channel's angle in degrees
    # clockwise from the front (an irregular ring). Default: stereo for 2
    # channels, an even ring (channel 1 at the front) for 4 and 8. Checked
    # against `channels` in semantics.py, with the file's line.
    layout: LayoutName | None = None
    speakers: list[float] | None = None

    def speaker_layout(self) -> SpeakerLayout:
        """The speakers as `engine.speakers` places sounds on them."""
        return SpeakerLayout.named(self.layout, self.channels, self.speakers)


class MoveSpec(_Strict):
    """`[[participants.script]]`: at `at`, simulated people join or leave.

    `join`: how many newcomers arrive (named after everyone so far), or the
    names of people coming back; `leave`: the names of people leaving, or
    how many of the latest arrivals still there leave.
    """

    at: Seconds = Field(ge=0)
    join: int | list[Name] = Field(default=0)
    leave: int | list[Name] = Field(default=0)

    @field_validator("join", "leave")
    @classmethod
    def _some(cls, v: int | list[str]) -> int | list[str]:
        if isinstance(v, int) and not 0 <= v <= 64:
            raise ValueError("a count of people from 0 to 64")
        return v


class ParticipantsSpec(_Strict):
    """`[participants]`: the simulated audience of a rehearsal or a render.

    `coupling` (0..1) sets how together their bodies are (0: independent,
    1: locked; a scene's `coupling` glides to a new value at its cue) and
    `script` says who joins and leaves when (`inputs/simulated_room.py`).
    """

    source: Literal["simulated"] = "simulated"
    count: int = Field(default=8, ge=1, le=64)
    voices: int = Field(default=8, ge=1, le=16)
    coupling: float = Field(default=0.0, ge=0.0, le=1.0)
    script: list[MoveSpec] = Field(default_factory=list, max_length=256)

    @field_validator("script")
    @classmethod
    def _moves_in_order(cls, v: list[MoveSpec]) -> list[MoveSpec]:
        for k in range(1, len(v)):
            if v[k].at < v[k - 1].at:
                raise ValueError(f"moves must be in time order (move {k} is before move {k - 1})")
        return v


SOURCE_KINDS = ("brainflow", "lsl", "osc", "recording", "simulated")
# Keys every [[sources]] entry has; the rest belong to the backend (kind).
SOURCE_COMMON_KEYS = ("name", "kind", "consent")


class SourceSpec(BaseModel):
    """One `[[sources]]` entry: a named source of participants' raw signals.

    `name`, `kind` and `consent` are common to every kind; every other key
    belongs to the backend (e.g. `board` and `params` for brainflow, `path`
    for recording) and is checked by that backend's `from_spec` when the
    performance loads (`performance/sources.py`), without opening a device.
    This model therefore allows extra keys: the backend, which knows them,
    refuses the unknown ones.

    `consent` says what the participant(s) this source feeds agreed to. Two
    consents, independent: `sound` (their signals may shape the sound; yes
    unless said otherwise) and `record` (their data may be kept; no unless
    said). Forms: `true`/`false` (record, for everyone the source feeds: the
    old form, still read), `{ sound = true, record = false }` (everyone), or
    a table by participant whose values are either form,
    `{ anna = true, ben = { sound = false } }` (unnamed participants: sound
    yes, record no).
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    name: Name
    kind: str
    consent: bool | dict[str, Any] = False

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in SOURCE_KINDS:
            close = difflib.get_close_matches(value, SOURCE_KINDS, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise ValueError(
                f"unknown source kind '{value}' ({hint}one of: {', '.join(SOURCE_KINDS)})"
            )
        return value

    @field_validator("consent", mode="before")
    @classmethod
    def _plain_consent(cls, value: Any) -> Any:
        """Only TOML true/false count: "yes" or 1 must not be read as someone's consent."""
        if isinstance(value, bool):
            return value
        if not isinstance(value, dict):
            raise ValueError(_CONSENT_FORMS)
        if is_consent_table(value):
            return value
        for who, entry in value.items():
            if not (isinstance(entry, bool) or is_consent_table(entry)):
                raise ValueError(f"consent of '{who}': {_CONSENT_FORMS}")
        return value

    def backend_keys(self) -> dict[str, Any]:
        """The spec the backend's `from_spec` takes: name, kind and its own keys."""
        return {"name": self.name, "kind": self.kind, **(self.model_extra or {})}

    def consent_for(self, participant: str) -> tuple[bool, bool]:
        """(sound, record) this source's entry grants one participant."""
        entry: Any = self.consent
        if isinstance(entry, dict) and not is_consent_table(entry):
            entry = entry.get(participant, False)
        if isinstance(entry, bool):
            return True, entry
        return bool(entry.get("sound", True)), bool(entry.get("record", False))

    def consents(self, participant: str) -> bool:
        """Did this participant agree that their data from this source is kept (record)?"""
        return self.consent_for(participant)[1]

    def consent_summary(self) -> tuple[bool, list[str], list[str]]:
        """(record for whoever else it delivers, who is named as recorded, who as unheard)."""
        entry: Any = self.consent
        if isinstance(entry, bool) or is_consent_table(entry):
            sound, record = self.consent_for("")
            return record, [], [] if sound else ["everyone"]
        recorded = sorted(p for p in entry if self.consent_for(p)[1])
        silent = sorted(p for p in entry if not self.consent_for(p)[0])
        return False, recorded, silent


_CONSENT_KEYS = frozenset({"sound", "record"})
_CONSENT_FORMS = (
    "consent must be true, false, { sound = true, record = false }, or a table of "
    "participants with one of those each, { anna = true, ben = { record = false } } "
    "(bools, never text or numbers)"
)


def is_consent_table(value: Any) -> bool:
    """{sound = bool, record = bool} (either or both)."""
    return (
        isinstance(value, dict)
        and bool(value)
        and set(value) <= _CONSENT_KEYS
        and all(isinstance(v, bool) for v in value.values())
    )


class LayerSpec(_Strict):
    name: Name
    patch: str = Field(min_length=1)
    gain_db: float = Field(default=0.0, ge=-80.0, le=6.0)
    channels: list[int] | None = None
    params: dict[str, float] = Field(default_factory=dict)


class MappingSpec(_Strict):
    name: str | None = None
    source: str = Field(pattern=r"^(collective)\.[a-z_]+$")
    target: Target
    in_range: tuple[float, float]
    out_range: tuple[float, float]
    curve: Curve = "linear"
    invert: bool = False
    smoothing: float = Field(default=0.5, ge=0.0, le=120.0)
    mode: Literal["set", "add"] = "set"

    @field_validator("in_range")
    @classmethod
    def _distinct(cls, v: tuple[float, float]) -> tuple[float, float]:
        if v[0] == v[1]:
            raise ValueError("in_range needs two different values")
        return v

    @property
    def label(self) -> str:
        return self.name or f"{self.source}->{self.target}"


class TriggerSpec(_Strict):
    """An event that fires a patch's trigger: each person's heartbeat, or the room's
    `convergence` (significant synchrony that has held, `collective/synchrony.py`)."""

    source: Literal["heartbeat", "convergence"] = "heartbeat"
    target: Target
    velocity: float = Field(default=0.8, ge=0.0, le=1.0)


class VoiceParamSpec(_Strict):
    """Which of a person's own features drives one parameter of their voice.

    The feature's range (default: its documented range) is spread over the
    parameter's (default: its whole range) through `curve`, as a mapping does.
    A cyclic feature (breath_phase) passes through unchanged.
    """

    source: str = Field(pattern=r"^[a-z_]+$")
    in_range: tuple[float, float] | None = None
    out_range: tuple[float, float] | None = None
    curve: Curve = "linear"
    invert: bool = False

    @field_validator("in_range")
    @classmethod
    def _distinct(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        if v is not None and v[0] == v[1]:
            raise ValueError("in_range needs two different values")
        return v


class VoicesSpec(_Strict):
    """`[[voices]]`: one voice per person for a patch's voice family.

    `count` voices are built; with more people than voices they take turns,
    so nobody waits longer than `rotation` seconds unheard (see
    `symphony.collective.voices.VoiceRotation`). `fade` is how long a voice
    takes to fade in or out: when its person fades, leaves or hands it on.
    """

    target: Target
    count: int = Field(default=8, ge=1, le=32)
    rotation: float = Field(default=30.0, ge=10.0, le=3600.0)
    fade: float = Field(default=2.0, ge=0.1, le=10.0)
    params: dict[str, VoiceParamSpec] = Field(default_factory=dict)


class MacroTargetSpec(_Strict):
    """One parameter a macro moves: over `range` (values at macro 0 and at 1), or,
    for a crossfade macro, towards `to` (at 1; at 0 the show has it as it is)."""

    target: Target
    range: tuple[float, float] | None = None
    to: float | None = None
    curve: Curve | None = None  # default: the parameter's own curve


class MacroSpec(_Strict):
    """`[macros.NAME]`: one performer control that moves several parameters.

    mode ``set``: the macro sets every target over its range and holds it
    against scenes and mappings; ``offset``: the macro shifts every target
    from where the show has it (centre = no shift, each by its range's span);
    ``crossfade``: the macro blends every target from the show's value (0) to
    its `to` (1). Bind it in a controller profile as ``macro:NAME``.
    """

    doc: str = ""
    mode: Literal["set", "offset", "crossfade"] = "set"
    targets: list[MacroTargetSpec] = Field(min_length=1, max_length=32)


class MidiSpec(_Strict):
    """Note-to-one-shot bindings of the default MIDI mapping (no controller profile).

    ``notes`` maps a note number (a TOML key, "0".."127") to a patch event
    ``LAYER.EVENT``; note-on on ``channel`` fires one voice of it, its velocity
    shaping the sound. The events get voices even if no trigger drives them.
    """

    channel: int = Field(default=1, ge=1, le=16)
    notes: dict[str, Target] = Field(default_factory=dict)

    @field_validator("notes")
    @classmethod
    def _note_numbers(cls, v: dict[str, str]) -> dict[str, str]:
        for key in v:
            if not (key.isdigit() and 0 <= int(key) <= 127):
                raise ValueError(f"note '{key}' must be a note number 0..127")
        return v


class OscOutputSpec(_Strict):
    """`[[outputs]]` with kind = "osc": the room's collective state sent out over OSC.

    At every room update the collective features go to host:port as
    `/symphony/collective/<feature> f`, and the room's events (a heartbeat
    trigger) as `/symphony/collective/<event> f`, to drive lights or
    another synth (`live/collective_out.py`). Only collective features, and
    only those carried by 3 or more people. `features`: which ones (default:
    every collective feature); checked in `output_checks.py`.
    """

    kind: Literal["osc"]
    name: Name | None = None
    host: str = Field(default="127.0.0.1", min_length=1, max_length=253)
    port: int = Field(ge=1, le=65535)
    features: list[str] | None = Field(default=None, max_length=256)
    events: bool = True
    bundle: bool = True  # one OSC bundle per update; false: one datagram per message


class SceneSpec(_Strict):
    description: str = ""
    # A resting scene whose good frames alone make each person's baseline (features/
    # group.py's calibration window); people who join later get a running baseline.
    calibrate: StrictBool = False
    participants: SimState | None = None
    coupling: float | None = Field(default=None, ge=0.0, le=1.0)  # simulated audience
    dropouts: int = Field(default=0, ge=0, le=64)
    params: dict[str, float] = Field(default_factory=dict)
    mappings: dict[str, float] = Field(default_factory=dict)

    @field_validator("mappings")
    @classmethod
    def _depths(cls, v: dict[str, float]) -> dict[str, float]:
        for key, depth in v.items():
            if not 0.0 <= depth <= 1.0:
                raise ValueError(f"mapping depth for '{key}' must be between 0 and 1")
        return v

    @field_validator("params")
    @classmethod
    def _targets(cls, v: dict[str, float]) -> dict[str, float]:
        for key in v:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*\.[A-Za-z_][A-Za-z0-9_]*", key):
                raise ValueError(f"scene parameter '{key}' must be written 'layer.param'")
        return v


class Cue(_Strict):
    at: Seconds
    scene: str
    crossfade: float = Field(default=5.0, ge=0.0, le=600.0)
    max_gain_rise_db_per_s: float | None = Field(default=None, gt=0.0, le=120.0)


_EEG_BANDS = ("delta", "theta", "alpha", "beta", "gamma")


class FeaturesSpec(_Strict):
    """`[features]`: how the per-person features are computed."""

    # Band edges in Hz replacing the defaults of features/eeg.py, e.g. alpha = [8, 12].
    eeg_bands: dict[str, tuple[float, float]] = Field(default_factory=dict)

    @field_validator("eeg_bands")
    @classmethod
    def _bands(cls, v: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for name, (low, high) in v.items():
            if name not in _EEG_BANDS:
                raise ValueError(f"unknown EEG band '{name}' (one of: {', '.join(_EEG_BANDS)})")
            if not 0.1 <= low < high <= 200.0:
                raise ValueError(
                    f"EEG band '{name}' must be [low, high] Hz with 0.1 <= low < high <= 200"
                )
        return v


class PerformanceSpec(_Strict):
    performance: PerformanceMeta
    output: OutputSpec = Field(default_factory=OutputSpec)
    participants: ParticipantsSpec = Field(default_factory=ParticipantsSpec)
    features: FeaturesSpec = Field(default_factory=FeaturesSpec)
    sources: list[SourceSpec] = Field(default_factory=list)
    outputs: list[OscOutputSpec] = Field(default_factory=list, max_length=16)
    layers: list[LayerSpec] = Field(min_length=1)
    mappings: list[MappingSpec] = Field(default_factory=list)
    triggers: list[TriggerSpec] = Field(default_factory=list)
    voices: list[VoicesSpec] = Field(default_factory=list)
    macros: dict[str, MacroSpec] = Field(default_factory=dict)
    midi: MidiSpec | None = None
    scenes: dict[str, SceneSpec] = Field(default_factory=dict)
    timeline: list[Cue] = Field(default_factory=list)
    # `symphony play`: the daily programme and the room's hearing safety.
    programme: ProgrammeSpec | None = None
    sanctuary: SanctuarySpec = Field(default_factory=SanctuarySpec)


def calibration_window(spec: PerformanceSpec, duration: float) -> tuple[float, float] | None:
    """Show seconds of the first `calibrate = true` scene on the timeline, if any."""
    for k, cue in enumerate(spec.timeline):
        if spec.scenes[cue.scene].calibrate:
            end = spec.timeline[k + 1].at if k + 1 < len(spec.timeline) else duration
            end = min(end, duration)
            return (cue.at, end) if cue.at < end else None
    return None


def feature_options(spec: PerformanceSpec, duration: float) -> dict[str, Any]:
    """Keyword arguments of the feature extractors (`GroupFeatures`) for this performance."""
    bands = {name: (float(a), float(b)) for name, (a, b) in spec.features.eeg_bands.items()}
    return {"calibration": calibration_window(spec, duration), "bands": bands or None}
