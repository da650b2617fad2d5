"""What the web servers know of the show: the latest status snapshot, and how old it is.

The control process writes a snapshot dict a few times a second (see
web-contract in the package docstring); the web process keeps the newest
and notes when it arrived. Health is judged on the audio clock as seen by
the control process (`last_block_age`) plus the snapshot's own age here, so
a hung control process reads as "not advancing" too, never as a frozen 200.

The room's picture for visitors is derived here, collective only and only
over three or more moods: a value over fewer people is theirs.
"""

from __future__ import annotations

import math
import queue
import time
from collections.abc import Callable
from typing import Any

MIN_PEOPLE = 3
HEALTH_KEYS = (
    "uptime",
    "scene",
    "next_scene",
    "next_scene_in",
    "paused",
    "safe_mode",
    "crash_loop",
    "people",
    "levels",
    "xruns",
    "jack",
    "last_block_age",
    "restarts",
    "errors",
)


class StatusFeed:
    """The newest snapshot from a mailbox (anything with get_nowait), with its arrival time."""

    def __init__(self, source: Any, clock: Callable[[], float] = time.monotonic) -> None:
        self.source = source
        self.clock = clock
        self.snapshot: dict[str, Any] | None = None
        self.received = 0.0

    def poll(self) -> dict[str, Any] | None:
        """Take whatever is newest now (never waits); the latest snapshot or None."""
        for _ in range(64):
            try:
                item = self.source.get_nowait()
            except queue.Empty:
                break
            except (EOFError, OSError):
                break
            if isinstance(item, dict):
                self.snapshot, self.received = item, self.clock()
        return self.snapshot

    def age(self) -> float:
        return math.inf if self.snapshot is None else self.clock() - self.received


def health(snapshot: dict[str, Any] | None, status_age: float, limit: float) -> tuple[int, dict]:
    """(HTTP status, body) of /health: 200 while audio blocks advance, else 503."""
    if snapshot is None:
        return 503, {"ok": False, "reason": "no status from the show yet", "block_age": None}
    body: dict[str, Any] = {key: snapshot.get(key) for key in HEALTH_KEYS}
    block_age = _number(snapshot.get("last_block_age"), math.inf) + status_age
    ok = block_age <= limit
    body.update(
        ok=ok,
        block_age=round(block_age, 3) if math.isfinite(block_age) else None,
        status_age=round(status_age, 3),
    )
    if not ok:
        body["reason"] = f"no audio block for {block_age:.1f} s (limit {limit:g} s)"
    return (200 if ok else 503), body


def collective(snapshot: dict[str, Any] | None) -> dict[str, Any]:
    """/collective: {name: {value, unit}}, as `monitor --collective --json` names them."""
    if snapshot is None:
        return {}
    values = snapshot.get("collective") or {}
    return {str(k): v for k, v in values.items() if isinstance(v, dict)}


def room_picture(snapshot: dict[str, Any] | None) -> dict[str, float] | None:
    """The room's mood for the visitors' page, or None under three moods."""
    values = collective(snapshot)
    count = _number(values.get("mood_count", {}).get("value"), 0.0)
    if count < MIN_PEOPLE:
        return None
    valence = _number(values.get("mood_valence", {}).get("value"), math.nan)
    arousal = _number(values.get("mood_arousal", {}).get("value"), math.nan)
    if not (math.isfinite(valence) and math.isfinite(arousal)):
        return None
    picture = {"valence": _clamp(valence), "arousal": _clamp(arousal), "count": int(count)}
    for key in ("mood_valence_spread", "mood_arousal_spread"):
        spread = _number(values.get(key, {}).get("value"), math.nan)
        if math.isfinite(spread):
            picture[key.removeprefix("mood_")] = max(0.0, min(2.0, spread))
    return picture


def finite(value: Any) -> Any:
    """`value` with every non-finite float as None, so the JSON is strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def _number(value: Any, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return float(value)


def _clamp(value: float) -> float:
    return max(-1.0, min(1.0, value))
