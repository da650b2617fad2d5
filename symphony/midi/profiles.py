"""Controller profiles: what each physical control sends, and what it does.

A profile (``hardware/controllers/NAME.toml``) has three parts:

- ``[controller]``: the device's name and the port-name substrings to open;
- ``[controls]``: every physical control with its kind, the message it sends
  and, where the device can light it, its LED;
- ``[bindings]``: control name to action (``param:layer.param``,
  ``mix:layer.param``, ``macro:NAME``, ``scene:NAME``, ``layer:NAME``,
  ``oneshot:layer.event``, ``gate:layer``, ``panic``, ``master``).
  A gate is a held note: the layer sounds while the pad is down, at the
  note-on velocity's level over the binding's ``range`` (dB), and fades out
  on release (see `symphony.live.midi_router`).

The schema forbids unknown keys and reports the first problem with the file,
line and key, like performance files do: a misspelt binding found at the
soundcheck beats a dead fader found on stage. Whether a binding's parameter or
scene exists depends on the performance and is checked by `check_bindings`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from symphony.errors import SymphonyError
from symphony.mapping.curves import Curve
from symphony.midi.messages import (
    ControlChange,
    ControlChange14,
    ControlEvent,
    Encoding,
    NoteOff,
    NoteOn,
    NrpnChange,
    NrpnStep,
    ParserConfig,
    RelativeChange,
)
from symphony.midi.takeover import Arbitration, Takeover
from symphony.performance.toml_lines import KeyPath, TomlLines

FACTORY_DIR = Path(__file__).resolve().parents[2] / "hardware" / "controllers"

ControlKind = Literal["fader", "knob", "encoder", "button", "pad"]
MessageType = Literal["cc", "cc14", "note", "nrpn"]
CONTINUOUS: frozenset[str] = frozenset({"fader", "knob", "encoder"})
PRESSABLE: frozenset[str] = frozenset({"button", "pad"})

Name = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$", max_length=64)]
Channel = Annotated[int, Field(ge=1, le=16)]
Byte = Annotated[int, Field(ge=0, le=127)]

_ACTION = re.compile(
    r"^(?:(param|mix):[A-Za-z_][\w\-]*\.[A-Za-z_]\w*"
    r"|(oneshot):[A-Za-z_][\w\-]*\.[A-Za-z_]\w*"
    r"|(macro|scene|layer|gate):[A-Za-z_][\w\-]*"
    r"|(panic|master))$"
)


class ProfileError(SymphonyError):
    """A controller profile is malformed or does not fit the performance."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ControllerMeta(_Strict):
    name: str = Field(min_length=1)
    port: str = Field(min_length=1, description="input port name substring, any case")
    output_port: str | None = Field(default=None, description="LED output; default: port")
    doc: str = ""


class Led(_Strict):
    """How to light a control: a message to send back, with on and off values."""

    message: Literal["cc", "note"]
    channel: Channel = 1
    number: Byte
    on: Byte = 127
    off: Byte = 0


class Control(_Strict):
    kind: ControlKind
    message: MessageType
    channel: Channel = 1
    number: int = Field(ge=0, le=16383)
    encoding: Encoding | None = None
    led: Led | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Control:
        if self.kind == "encoder" and self.message == "cc" and self.encoding is None:
            raise ValueError("an encoder sending CC needs 'encoding'")
        if self.encoding is not None and self.kind != "encoder":
            raise ValueError("'encoding' is only for kind = 'encoder'")
        if self.message == "cc14" and self.number > 31:
            raise ValueError("a 14-bit CC pair has its MSB on cc 0..31")
        if self.message in ("cc", "note") and self.number > 127:
            raise ValueError(f"a {self.message} number is 0..127")
        if self.kind in PRESSABLE and self.message in ("cc14", "nrpn"):
            raise ValueError(f"a {self.kind} sends 'cc' or 'note'")
        return self

    @property
    def address(self) -> tuple[str, int, int]:
        """(message family, channel, number) as `address_of` gives for events."""
        family = "cc" if self.message == "cc14" else self.message
        return (family, self.channel, self.number)


class Binding(_Strict):
    action: str
    range: tuple[float, float] | None = None  # parameter units; default: the whole range
    curve: Curve | None = None  # default: the parameter's own curve
    takeover: Takeover = "pickup"
    arbitration: Arbitration = "performer"
    step: float = Field(default=1.0 / 128.0, gt=0.0, le=0.5)  # encoder: position per tick
    toggle: bool = True  # layer action: toggle on press (False: held while pressed)

    @model_validator(mode="after")
    def _action(self) -> Binding:
        if not _ACTION.match(self.action):
            raise ValueError(
                f"unknown action {self.action!r}: use param:LAYER.PARAM, mix:LAYER.PARAM,"
                " macro:NAME, scene:NAME, layer:NAME, gate:LAYER, oneshot:LAYER.EVENT, panic"
                " or master"
            )
        return self

    @property
    def verb(self) -> str:
        return self.action.split(":", 1)[0]

    @property
    def argument(self) -> str:
        return self.action.split(":", 1)[1] if ":" in self.action else ""


class ProfileSpec(_Strict):
    controller: ControllerMeta
    controls: dict[Name, Control]
    bindings: dict[Name, Binding] = Field(default_factory=dict)


@dataclass(frozen=True)
class ControllerProfile:
    """A validated profile with its file and line index (for later errors)."""

    spec: ProfileSpec
    path: Path
    lines: TomlLines

    @property
    def controls(self) -> dict[str, Control]:
        return self.spec.controls

    def parser_config(self) -> ParserConfig:
        """What the parser must know: 14-bit pairs, encoders, NRPN channels."""
        return ParserConfig(
            cc14=frozenset(
                (c.channel, c.number) for c in self.controls.values() if c.message == "cc14"
            ),
            relative={
                (c.channel, c.number): c.encoding
                for c in self.controls.values()
                if c.encoding is not None and c.message == "cc"
            },
            nrpn_channels=frozenset(
                c.channel for c in self.controls.values() if c.message == "nrpn"
            ),
        )

    def control_index(self) -> dict[tuple[str, int, int], str]:
        """Address to control name, for looking up parsed events."""
        return {c.address: name for name, c in self.controls.items()}

    def line(self, *path: str | int) -> int | None:
        return self.lines.line_of(tuple(path))


def address_of(event: ControlEvent) -> tuple[str, int, int] | None:
    """The (family, channel, number) a parsed event came from."""
    if isinstance(event, NoteOn | NoteOff):
        return ("note", event.channel, event.note)
    if isinstance(event, ControlChange | ControlChange14 | RelativeChange):
        return ("cc", event.channel, event.number)
    if isinstance(event, NrpnChange | NrpnStep):
        return ("nrpn", event.channel, event.parameter)
    return None


def _dotted(loc: KeyPath) -> str:
    return ".".join(str(p) for p in loc)


def _schema_error(path: Path, lines: TomlLines, exc: ValidationError) -> ProfileError:
    errors = exc.errors()
    first = errors[0]
    loc = tuple(p for p in first["loc"] if not str(p).startswith("function-"))
    kind = first["type"]
    expected: str | None = None
    if kind == "extra_forbidden":
        message = f"unknown key '{loc[-1]}'"
    elif kind == "missing":
        message = "required key is missing"
    else:
        message = re.sub(r"^Value error, ", "", str(first["msg"]))
        if kind in ("literal_error", "enum"):
            expected = str(first.get("ctx", {}).get("expected", "")) or None
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return ProfileError(
        message, where=path, line=lines.line_of(loc), key=_dotted(loc), expected=expected
    )


def _check_controls(profile: ControllerProfile) -> None:
    """Two controls on one message, or a binding to no control, is an error."""
    seen: dict[tuple[str, int, int], str] = {}
    for name, control in profile.controls.items():
        other = seen.setdefault(control.address, name)
        if other != name:
            raise ProfileError(
                f"sends the same message as control '{other}'",
                where=profile.path,
                line=profile.line("controls", name),
                key=f"controls.{name}",
            )
    for name, binding in profile.spec.bindings.items():
        bound = profile.controls.get(name)
        if bound is None:
            raise ProfileError(
                "binding for a control the profile does not declare",
                where=profile.path,
                line=profile.line("bindings", name),
                key=f"bindings.{name}",
                expected=f"one of: {', '.join(sorted(profile.controls))}",
            )
        continuous = binding.verb in ("param", "mix", "macro", "master")
        if continuous and bound.kind not in CONTINUOUS:
            problem = f"'{binding.verb}' needs a fader, knob or encoder, not a {bound.kind}"
        elif not continuous and bound.kind not in PRESSABLE:
            problem = f"'{binding.verb}' needs a button or pad, not a {bound.kind}"
        else:
            continue
        raise ProfileError(
            problem,
            where=profile.path,
            line=profile.line("bindings", name, "action"),
            key=f"bindings.{name}.action",
        )


def parse_profile(text: str, path: Path) -> ControllerProfile:
    """Validate profile text; `path` is only used to name the file in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ProfileError(
            f"not valid TOML: {reason}",
            where=path,
            line=int(match.group(1)) if match else None,
            expected="TOML syntax",
        ) from None
    lines = TomlLines(text)
    try:
        spec = ProfileSpec.model_validate(data)
    except ValidationError as exc:
        raise _schema_error(path, lines, exc) from None
    profile = ControllerProfile(spec, path, lines)
    _check_controls(profile)
    return profile


def load_profile(path: str | Path) -> ControllerProfile:
    """Read and validate a profile file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError("controller profile not found", where=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"cannot read controller profile: {exc}", where=path) from None
    return parse_profile(text, path)


def factory_profiles() -> list[Path]:
    """The profiles shipped in hardware/controllers/."""
    return sorted(FACTORY_DIR.glob("*.toml"))


def check_bindings(
    profile: ControllerProfile,
    params: Collection[str],
    scenes: Collection[str],
    layers: Collection[str],
    events: Collection[str] = (),
    macros: Collection[str] = (),
) -> None:
    """Every binding refers to something the performance has, or a line-precise error."""
    known: dict[str, Collection[str]] = {
        "param": params,
        "mix": params,
        "scene": scenes,
        "layer": layers,
        "gate": layers,
        "oneshot": events,
        "macro": macros,
    }
    for name, binding in profile.spec.bindings.items():
        names = known.get(binding.verb)
        if names is None or binding.argument in names:
            continue
        raise ProfileError(
            f"the performance has no {binding.verb} target '{binding.argument}'",
            where=profile.path,
            line=profile.line("bindings", name, "action"),
            key=f"bindings.{name}.action",
            expected=", ".join(sorted(names)[:12]) or "none defined",
        )
