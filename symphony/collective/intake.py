"""What reaches the room besides sensor signals: moods and consent changes.

A phone (the visitors' page, or any OSC sender) takes part with a mood, a
valence and an arousal each in -1..1; anyone can change their consent. These
arrive in other processes (the OSC source's thread, the web server) and
reach the control loop as small messages on a bounded queue: `RoomInbox`
never blocks the sender and never grows without bound (a flood is dropped
and counted, the show goes on), and the control loop drains it once per
step.

The same messages are the Python API: `LiveControl.receive(message)`
applies one at once.
"""

from __future__ import annotations

import math
import queue
from dataclasses import dataclass
from typing import Any

MAX_ID = 64  # characters of a participant or device id


class IntakeError(ValueError):
    """A message that cannot be taken: says what and why, in one line."""


@dataclass(frozen=True)
class Mood:
    """One device's mood now: valence and arousal, each -1..1."""

    device: str
    valence: float
    arousal: float


@dataclass(frozen=True)
class ConsentChange:
    """A person's new consent; None leaves that consent as it was."""

    participant: str
    sound: bool | None = None
    record: bool | None = None


@dataclass(frozen=True)
class Leave:
    """A device takes its mood out of the room at once (the page's "take my mood out")."""

    device: str


Message = Mood | ConsentChange | Leave


def check_id(name: str, what: str = "participant") -> str:
    """A usable id: printable, no spaces or slashes, at most MAX_ID characters."""
    if not isinstance(name, str) or not 0 < len(name) <= MAX_ID:
        raise IntakeError(f"{what} id must be 1 to {MAX_ID} characters")
    if not name.isprintable() or any(c in name for c in " /\\"):
        raise IntakeError(f"{what} id {name!r} may not hold spaces, slashes or control characters")
    return name


def mood(device: str, valence: Any, arousal: Any) -> Mood:
    """A validated mood; values outside -1..1 are clamped, non-numbers refused."""
    values = []
    for label, value in (("valence", valence), ("arousal", arousal)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise IntakeError(f"mood {label} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise IntakeError(f"mood {label} must be finite, got {value!r}")
        values.append(min(1.0, max(-1.0, float(value))))
    return Mood(check_id(device, "device"), values[0], values[1])


def consent_flag(value: Any, label: str) -> bool:
    """0 or 1 (or a bool): OSC senders send ints; anything else is refused, never guessed."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    raise IntakeError(f"consent {label} must be 0 or 1, got {value!r}")


class RoomInbox:
    """A bounded, never-blocking queue of room messages from other processes."""

    def __init__(self, channel: Any) -> None:
        """`channel`: a multiprocessing (or plain) queue with put_nowait/get_nowait."""
        self.channel = channel
        self.dropped = 0

    def put(self, message: Message) -> bool:
        try:
            self.channel.put_nowait(message)
            return True
        except queue.Full:
            self.dropped += 1
            return False

    def drain(self, limit: int = 4096) -> list[Message]:
        out: list[Message] = []
        for _ in range(limit):
            try:
                out.append(self.channel.get_nowait())
            except queue.Empty:
                break
            except (EOFError, OSError):  # the sender's end went away: nothing more to read
                break
        return out
