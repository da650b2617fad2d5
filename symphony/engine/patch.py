"""Patches: Python files in `patches/` that build one layer of the soundscape.

A patch file declares ``PARAMS`` (a sequence of `Param`), optionally
``EVENTS`` (a sequence of `Event`), and a function ``build(ctx)`` that builds
a pyo graph and returns a pyo object with exactly ``ctx.channels`` streams.

The patch never sees raw numbers from the outside world: every parameter
arrives as a smoothed pyo signal in its natural unit (``ctx.param(name)``),
already clamped to its range and scrubbed of NaN by the engine, and every
voice of an event arrives as a trigger plus velocity and position signals.
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

from symphony.engine.params import Event, Param
from symphony.errors import PatchError

Pyo = Any  # pyo objects are untyped; the alias documents intent


@dataclass
class Voice:
    """One voice of an event family: fire `trig`; read `velocity` and `pan`."""

    trig: Pyo
    velocity: Pyo
    pan: Pyo


@dataclass
class PatchContext:
    """What a patch's ``build`` receives.

    `params` holds one smoothed signal per declared parameter; `voices` one
    list of `Voice` per declared event. `keep` lets a patch hold references to
    intermediate objects: pyo silences any object Python garbage-collects.
    """

    pyo: ModuleType
    channels: int
    sample_rate: float
    params: dict[str, Pyo]
    voices: dict[str, list[Voice]]
    seed: int = 0
    kept: list[Pyo] = field(default_factory=list)

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

    def keep(self, *objects: Pyo) -> None:
        self.kept.extend(objects)

    def spread(self, mono: Pyo, pan: Pyo | float) -> Pyo:
        """Place a mono signal at `pan` (0..1 around the room) over all channels.

        With two channels this is left-to-right; with four or eight it walks
        around the ring of speakers, which is how a sanctuary is usually set up.
        Equal-power panning (pyo's SPan), so a sound between two speakers is as
        loud as one on a speaker (pyo's Pan dips by about 10 dB there).
        """
        p = self.pyo.SPan(mono, outs=self.channels, pan=pan)
        self.kept.append(p)
        return p


@dataclass(frozen=True)
class PatchSpec:
    """A loaded patch file: its declarations and its build function."""

    name: str
    path: Path
    params: tuple[Param, ...]
    events: tuple[Event, ...]
    build: Callable[[PatchContext], Pyo]
    doc: str

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
    names = [p.name for p in params] + [e.name for e in events]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise PatchError(f"patch '{name}' declares {', '.join(dupes)} twice", where=path)
    return PatchSpec(name, path, params, events, build, (module.__doc__ or "").strip())


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
