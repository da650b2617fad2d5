"""Patches: Python files in `patches/` that build one layer of the soundscape.

A patch file declares ``PARAMS`` (a sequence of `Param`), optionally
``EVENTS`` (a sequence of `Event`) and ``VOICES`` (a sequence of
`VoiceFamily`: continuous voices, one per person), and a function
``build(ctx)`` that builds a pyo graph and returns a pyo object with exactly
``ctx.channels`` streams.

The patch never sees raw numbers from the outside world: every parameter
arrives as a smoothed pyo signal in its natural unit (``ctx.param(name)``),
already clamped to its range and scrubbed of NaN by the engine, and every
voice of an event arrives as a trigger plus velocity and position signals,
and every person's voice as level, seat and parameter signals.
That keeps patches small and makes it impossible for a patch to click on a
parameter change or to receive a non-finite value.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from symphony.engine.params import Event, Param, VoiceFamily
from symphony.engine.speakers import SpeakerLayout
from symphony.errors import PatchError

Pyo = Any  # pyo objects are untyped; the alias documents intent


@dataclass
class Voice:
    """One voice of an event family: fire `trig`; read `velocity` and `pan`."""

    trig: Pyo
    velocity: Pyo
    pan: Pyo


@dataclass
class PersonVoice:
    """One voice of a `VoiceFamily`, held by one person at a time.

    `level` (0..1) is already smoothed over the performance's fade time: it
    rises when the person arrives or takes the voice and falls when they
    fade, leave or hand it on, so a patch multiplies by it and never clicks.
    `seat` (0..1) is the person's place, for `PatchContext.spread`; it only
    changes while the level is 0.
    """

    level: Pyo
    seat: Pyo
    params: dict[str, Pyo]

    def param(self, name: str) -> Pyo:
        try:
            return self.params[name]
        except KeyError:
            raise KeyError(f"patch asked for undeclared voice parameter {name!r}") from None


@dataclass
class PatchContext:
    """What a patch's ``build`` receives.

    `params` holds one smoothed signal per declared parameter; `voices` one
    list of `Voice` per declared event; `people` one list of `PersonVoice`
    per declared voice family (empty when the performance gives it none).
    `speakers` is where the layer's channels are. `keep` lets a patch hold
    references to intermediate objects: pyo silences any object Python
    garbage-collects.
    """

    pyo: ModuleType
    channels: int
    sample_rate: float
    params: dict[str, Pyo]
    voices: dict[str, list[Voice]]
    seed: int = 0
    kept: list[Pyo] = field(default_factory=list)
    people: dict[str, list[PersonVoice]] = field(default_factory=dict)
    speakers: SpeakerLayout | None = None
    _tables: Pyo = None

    def __post_init__(self) -> None:
        if self.speakers is None:
            self.speakers = SpeakerLayout.named(None, self.channels)

    def param(self, name: str) -> Pyo:
        try:
            return self.params[name]
        except KeyError:
            raise KeyError(f"patch asked for undeclared parameter {name!r}") from None

    def voice_list(self, event: str) -> list[Voice]:
        try:
            return self.voices[event]
        except KeyError:
            raise KeyError(f"patch asked for undeclared event {event!r}") from None

    def person_voices(self, family: str) -> list[PersonVoice]:
        try:
            return self.people[family]
        except KeyError:
            raise KeyError(f"patch asked for undeclared voice family {family!r}") from None

    def keep(self, *objects: Pyo) -> None:
        self.kept.extend(objects)

    @property
    def layout(self) -> SpeakerLayout:
        assert self.speakers is not None  # set in __post_init__
        return self.speakers

    def spread(self, mono: Pyo, pan: Pyo | float) -> Pyo:
        """Place a mono signal at `pan` (0..1) over the layer's speakers.

        Stereo: left (0) to right (1), constant power (gains sqrt(1 - p) and
        sqrt(p), as pyo's SPan). A ring: once around, 0 = front, clockwise, by
        pairwise VBAP (`engine.speakers`), so an irregular ring places a sound
        where its angles say. A fixed `pan` costs one multiply per channel; a
        pan signal reads per-channel gain tables with it, so the position can
        move sample by sample without steps and without Python in the audio.
        """
        pyo = self.pyo
        layout = self.layout
        if layout.channels == 1:
            out = pyo.Sig(mono)
        elif isinstance(pan, int | float):
            out = mono * layout.gains(float(pan))
        elif layout.angles is None:
            p = pyo.Clip(pan, 0.0, 1.0)
            sides = [mono * pyo.Sqrt(1.0 - p), mono * pyo.Sqrt(p)]
            self.kept.extend([p, sides])
            out = pyo.Mix(sides, voices=2)
        else:
            gains = pyo.Pointer(self._gain_table(), pan)
            self.kept.append(gains)
            out = mono * gains
        self.kept.append(out)
        return out

    def _gain_table(self) -> Pyo:
        """One table per channel of ring gains over the circle, shared by the layer."""
        if self._tables is None:
            rows = self.layout.gain_tables()
            self._tables = self.pyo.DataTable(len(rows[0]), chnls=len(rows), init=rows)
            self.kept.append(self._tables)
        return self._tables

    def from_ring(self, streams: Pyo) -> Pyo:
        """Streams laid out as pyo's own even ring (stream k at k / N) onto the speakers.

        pyo's multichannel objects (Particle, SPan, Pan) assume evenly spaced
        speakers with the first at the front. On such a ring this returns its
        input; on another ring (quad, given angles) each stream is placed at
        its own position by VBAP, a fixed matrix of at most two gains per stream.
        """
        layout = self.layout
        if layout.angles is None or layout.is_even_ring:
            return streams
        pyo = self.pyo
        n = layout.channels
        rows = [layout.gains(k / n) for k in range(n)]
        outs = []
        for c in range(n):
            # One stream of a multichannel object, as a PyoObject of its own.
            parts = [pyo.Sig(streams[k], mul=rows[k][c]) for k in range(n) if rows[k][c] > 1e-9]
            outs.append(pyo.Mix(parts, voices=1))
            self.kept.extend(parts)
        out = pyo.Mix(outs, voices=n)
        self.kept.extend([*outs, out])
        return out


@dataclass(frozen=True)
class PatchSpec:
    """A loaded patch file: its declarations and its build function."""

    name: str
    path: Path
    params: tuple[Param, ...]
    events: tuple[Event, ...]
    build: Callable[[PatchContext], Pyo]
    doc: str
    voice_families: tuple[VoiceFamily, ...] = ()

    def family(self, name: str) -> VoiceFamily:
        for f in self.voice_families:
            if f.name == name:
                return f
        raise KeyError(name)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)


def _line_in(path: Path, exc: BaseException) -> int | None:
    """The deepest traceback line that lies in the patch file itself."""
    if isinstance(exc, SyntaxError) and exc.filename == str(path):
        return exc.lineno
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename) == path:
            line = frame.lineno
    return line


def _declared(module: ModuleType, attr: str, kind: type, path: Path) -> tuple[Any, ...]:
    value = getattr(module, attr, ())
    if not isinstance(value, Sequence) or not all(isinstance(v, kind) for v in value):
        raise PatchError(
            f"{attr} must be a sequence of {kind.__name__}",
            where=path,
            key=attr,
            expected=f"{attr} = ({kind.__name__}(...), ...)",
        )
    return tuple(value)


def load_patch(path: Path) -> PatchSpec:
    """Import a patch file and check its declarations, naming it on any failure."""
    path = path.resolve()
    name = path.stem
    if not path.is_file():
        raise PatchError(f"patch '{name}' not found", where=path, expected="a .py file")
    mod_name = f"symphony_patch_{name}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise PatchError(f"patch '{name}' cannot be imported", where=path)
    module = importlib.util.module_from_spec(spec)
    try:
        sys.modules[mod_name] = module
        spec.loader.exec_module(module)
    except Exception as exc:
        raise PatchError(
            f"patch '{name}' failed to load: {type(exc).__name__}: {exc}",
            where=path,
            line=_line_in(path, exc),
        ) from exc
    finally:
        sys.modules.pop(mod_name, None)
    build = getattr(module, "build", None)
    if not callable(build):
        raise PatchError(
            f"patch '{name}' has no build(ctx) function", where=path, expected="def build(ctx)"
        )
    params = _declared(module, "PARAMS", Param, path)
    events = _declared(module, "EVENTS", Event, path)
    families = _declared(module, "VOICES", VoiceFamily, path)
    names = [p.name for p in params] + [e.name for e in events] + [f.name for f in families]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise PatchError(f"patch '{name}' declares {', '.join(dupes)} twice", where=path)
    doc = (module.__doc__ or "").strip()
    return PatchSpec(name, path, params, events, build, doc, families)


def run_build(spec: PatchSpec, ctx: PatchContext) -> Pyo:
    """Call the patch's build and check it returns the promised channel count."""
    try:
        out = spec.build(ctx)
    except Exception as exc:
        raise PatchError(
            f"patch '{spec.name}' failed to build: {type(exc).__name__}: {exc}",
            where=spec.path,
            line=_line_in(spec.path, exc),
        ) from exc
    n = len(out) if hasattr(out, "__len__") else 0
    if n != ctx.channels:
        raise PatchError(
            f"patch '{spec.name}' returned {n} channel(s)",
            where=spec.path,
            expected=f"a pyo object with {ctx.channels} streams (use ctx.spread)",
        )
    return out
