"""The `[programme]` and `[sanctuary]` tables of a performance file, checked on load.

A sanctuary plays one performance for days: `[programme]` says which scene
plays at which time of day (`[[programme.parts]]`), when the room must be
quiet (`[[programme.quiet]]`: a level cap or silence), and what the show's own
timeline does after its last cue (`timeline = "loop"` or `"hold"`).
`[sanctuary]` holds the room's hearing-safety numbers: the house limit (LAeq
over a window, default 85 dB over 15 min) and the venue calibration that
`symphony calibrate-room` measures (the dB(A) SPL the reference signal makes
at the listening position).

The models live here, with no import of the performance schema, so that
`performance/schema.py` can include them without an import cycle; the check
that every scene a part names exists (`check_programme`) is called from
`performance/semantics.py` with the file's line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from symphony.performance.timecode import parse_time
from symphony.sanctuary.args import parse_time_of_day

DAY = 24 * 3600.0
SILENCE_DB = -60.0  # the master gain's floor (mapping.layout.MASTER_GAIN.low)


TimeOfDay = Annotated[float, BeforeValidator(parse_time_of_day)]
Seconds = Annotated[float, BeforeValidator(parse_time)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PartSpec(_Strict):
    """One part of the day: from `at` (time of day) the programme plays `scene`,
    reached over `fade` seconds (default: the programme's `fade`)."""

    at: TimeOfDay
    scene: str
    fade: Seconds | None = Field(default=None, ge=0.0, le=3 * 3600.0)


class QuietSpec(_Strict):
    """Quiet hours from `start` to `end` (times of day; may cross midnight): the
    master is capped at `cap_db`, or silent with `silence = true`."""

    start: TimeOfDay
    end: TimeOfDay
    cap_db: float | None = Field(default=None, ge=SILENCE_DB, le=0.0)
    silence: bool = False

    @model_validator(mode="after")
    def _one_kind(self) -> QuietSpec:
        if self.silence == (self.cap_db is not None):
            raise ValueError("quiet hours need either cap_db = DB or silence = true (one of them)")
        if self.start == self.end:
            raise ValueError("quiet hours need an end different from their start")
        return self

    @property
    def cap(self) -> float:
        return SILENCE_DB if self.silence else float(self.cap_db or 0.0)


class ProgrammeSpec(_Strict):
    """`[programme]`: the daily programme of `symphony play` (module docstring)."""

    timeline: Literal["loop", "hold"] = "hold"
    fade: Seconds = Field(default=60.0, ge=0.0, le=3 * 3600.0)
    quiet_fade: Seconds = Field(default=60.0, ge=1.0, le=3600.0)
    parts: list[PartSpec] = Field(default_factory=list)
    quiet: list[QuietSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _distinct_times(self) -> ProgrammeSpec:
        times = [p.at for p in self.parts]
        if len(set(times)) != len(times):
            raise ValueError("two programme parts start at the same time of day")
        return self


class SanctuarySpec(_Strict):
    """`[sanctuary]`: hearing safety in the room (see `sanctuary.hearing`)."""

    house_limit_db_laeq: float = Field(default=85.0, ge=40.0, le=100.0)
    laeq_minutes: float = Field(default=15.0, ge=1.0, le=60.0)
    # The venue calibration: `calibration_db_a` dB(A) SPL measured at the
    # listening position while `calibrate-room` played its reference at
    # `reference_lufs`. Without it the player assumes the loudest plausible room.
    calibration_db_a: float | None = Field(default=None, ge=30.0, le=130.0)
    reference_lufs: float = Field(default=-23.0, ge=-60.0, le=0.0)
    # The level of safe mode (a quiet ambient bed, no biosignals).
    safe_mode_cap_db: float = Field(default=-18.0, ge=SILENCE_DB, le=0.0)


Fail = Callable[..., Exception]


def check_programme(spec: Any, fail: Fail) -> None:
    """Every scene a part names exists (`fail(message, loc, expected)` makes the error)."""
    programme: ProgrammeSpec | None = spec.programme
    if programme is None:
        return
    known = sorted(spec.scenes)
    for i, part in enumerate(programme.parts):
        if part.scene not in spec.scenes:
            raise fail(
                f"no scene '{part.scene}'",
                ("programme", "parts", i, "scene"),
                "one of: " + ", ".join(known) if known else "a [scenes.NAME] table",
            )
