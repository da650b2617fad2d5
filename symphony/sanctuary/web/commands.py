"""Operator commands: what the operator's HTTP control may ask of the show.

They travel as small frozen dataclasses on a queue to the control process,
which applies them like a console key. Parsing is a pure function so the
HTTP layer stays thin and every refusal says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MIN_LEVEL_DB = -80.0
MAX_LEVEL_DB = 0.0


@dataclass(frozen=True)
class SetScene:
    """Go to this scene of the performance."""

    name: str


@dataclass(frozen=True)
class SetLevel:
    """Set the master level, in dB (-80..0)."""

    db: float


@dataclass(frozen=True)
class Pause:
    """Pause (fade to silence and hold) or resume."""

    paused: bool


@dataclass(frozen=True)
class Panic:
    """Silence now: the engine's panic."""


Command = SetScene | SetLevel | Pause | Panic
ACTIONS = ("scene", "level", "pause", "panic")


class CommandError(ValueError):
    """A control request that cannot be a command: one line saying why."""


def parse_command(action: str, body: Any, scenes: list[str] | None = None) -> Command:
    """The command for POST /control/<action> with a JSON `body` (a dict or None)."""
    if action not in ACTIONS:
        raise CommandError(f"unknown control {action!r}: use one of {', '.join(ACTIONS)}")
    if action == "panic":
        return Panic()
    if not isinstance(body, dict):
        raise CommandError(f"control {action} needs a JSON object body")
    if action == "scene":
        name = body.get("scene")
        if not isinstance(name, str) or not name:
            raise CommandError('control scene needs {"scene": "<name>"}')
        if scenes is not None and name not in scenes:
            raise CommandError(f"no scene {name!r}: the performance has {', '.join(scenes)}")
        return SetScene(name)
    if action == "level":
        db = body.get("db")
        if isinstance(db, bool) or not isinstance(db, int | float) or not math.isfinite(db):
            raise CommandError('control level needs {"db": <number>}')
        if not MIN_LEVEL_DB <= db <= MAX_LEVEL_DB:
            raise CommandError(f"control level db must be {MIN_LEVEL_DB:g} to {MAX_LEVEL_DB:g}")
        return SetLevel(float(db))
    paused = body.get("paused")
    if not isinstance(paused, bool):
        raise CommandError('control pause needs {"paused": true|false}')
    return Pause(paused)
