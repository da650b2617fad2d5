"""Sensor profiles: which channels of a device carry which signal, at what rate, in what unit.

A profile is a small TOML file in `hardware/sensors/` (see its README). It
lets the same backend code serve many devices: the BrainFlow, LSL, OSC and
recording backends ask the profile where a participant's PPG or EEG is,
instead of each device being special-cased in code. Profiles are validated
with pydantic (unknown keys are refused) and every error names the file, the
line and the key, like performance files.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from symphony.errors import SymphonyError
from symphony.inputs.recording import SIGNAL_KINDS
from symphony.performance.toml_lines import KeyPath, TomlLines

SENSORS_DIR = Path(__file__).resolve().parents[2] / "hardware" / "sensors"

# BrainFlow board description groups a profile may pick channels from.
BOARD_GROUPS = ("eeg", "ecg", "emg", "eog", "exg", "ppg", "eda", "analog", "other", "optical")
TRANSPORTS = ("brainflow", "lsl", "osc", "file")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SensorInfo(_Strict):
    """What the device is and how it can reach us."""

    name: str
    description: str = ""
    transports: list[Literal["brainflow", "lsl", "osc", "file"]] = Field(min_length=1)
    board: str | None = None  # BrainFlow BoardIds name, when reachable through BrainFlow

    @field_validator("board")
    @classmethod
    def _known_board(cls, value: str | None) -> str | None:
        if value is None:
            return value
        from brainflow.board_shim import BoardIds

        if value not in BoardIds.__members__:
            close = difflib.get_close_matches(value.upper(), list(BoardIds.__members__), 1, 0.5)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ValueError(f"unknown BrainFlow board '{value}'{hint}")
        return value


class SignalMap(_Strict):
    """One signal of the device: where it is and what it means.

    `channels` are zero-based indices into the carrying group (a BrainFlow
    board group, an LSL/XDF stream's channels); `labels` match channel names
    (CSV columns, EDF labels, LSL channel labels). Samples are multiplied by
    `scale` to reach `unit`.
    """

    kind: str
    rate: float = Field(gt=0)
    unit: str
    channels: list[int] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    scale: float = 1.0
    board_group: str | None = None
    board_preset: Literal["default", "auxiliary", "ancillary"] = "default"
    lsl_type: str | None = None
    osc_path: str | None = None

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in SIGNAL_KINDS:
            raise ValueError(f"unknown signal kind '{value}' (one of: {', '.join(SIGNAL_KINDS)})")
        return value

    @field_validator("board_group")
    @classmethod
    def _known_group(cls, value: str | None) -> str | None:
        if value is not None and value not in BOARD_GROUPS:
            raise ValueError(f"unknown board group '{value}' (one of: {', '.join(BOARD_GROUPS)})")
        return value

    @field_validator("channels")
    @classmethod
    def _non_negative(cls, value: list[int]) -> list[int]:
        if any(c < 0 for c in value):
            raise ValueError("channel indices start at 0")
        return value


class SensorProfile(_Strict):
    sensor: SensorInfo
    signals: list[SignalMap] = Field(min_length=1)

    def signal(self, kind: str) -> SignalMap | None:
        return next((s for s in self.signals if s.kind == kind), None)


def _dotted(loc: KeyPath) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _validation_error(path: Path, lines: TomlLines, exc: ValidationError) -> SymphonyError:
    first = exc.errors()[0]
    loc: KeyPath = tuple(first["loc"])
    kind = first["type"]
    expected = None
    if kind == "extra_forbidden":
        message = f"unknown key '{loc[-1]}'"
        owner = SignalMap if "signals" in loc else SensorInfo if "sensor" in loc else SensorProfile
        close = difflib.get_close_matches(str(loc[-1]), list(owner.model_fields), n=1)
        expected = f"did you mean '{close[0]}'?" if close else ", ".join(owner.model_fields)
    elif kind == "missing":
        message = "required key is missing"
    else:
        message = re.sub(r"^Value error, ", "", str(first["msg"]))
    return SymphonyError(
        message, where=path, line=lines.line_of(loc), key=_dotted(loc), expected=expected
    )


def parse_profile(text: str, path: Path) -> SensorProfile:
    """Validate the TOML text of a profile; `path` is only used in errors."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        raise SymphonyError(f"not valid TOML: {exc}", where=path, line=line) from None
    lines = TomlLines(text)
    try:
        return SensorProfile.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(path, lines, exc) from None


def load_profile(name_or_path: str | Path) -> SensorProfile:
    """A profile by file path, or by name in hardware/sensors (e.g. "muse2")."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = SENSORS_DIR / f"{name_or_path}.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        known = ", ".join(profile_names())
        raise SymphonyError("sensor profile not found", where=path, expected=known) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SymphonyError(f"cannot read sensor profile: {exc}", where=path) from None
    return parse_profile(text, path)


def profile_names() -> list[str]:
    """Names of the profiles shipped in hardware/sensors."""
    return sorted(p.stem for p in SENSORS_DIR.glob("*.toml"))
