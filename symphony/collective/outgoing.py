"""What the room may say to the outside world: the OSC messages of one room update.

A performance's `[[outputs]]` with kind = "osc" send the collective state
to lights or another synth (`live/collective_out.py` owns the sockets).
This module decides *what* is sent, as a pure function of a `RoomFrame`:

- every collective feature (the names mappings use, `collective.NAME`) as
  `/symphony/collective/<feature> f`, once per room update;
- the room's events as `/symphony/collective/<event> f`: `convergence`
  (value 1) when the room comes together (`synchrony.py`: it needs 3 or more
  people), and `heartbeat`, one per weighted heartbeat trigger, its value
  the trigger's weight (the gain of that person at that beat).

Only collective values leave the room, and only over 3 or more people:

- a feature the room marks as owned (carried by fewer than 3 people's
  weight, `Room.owners`) *is* those people's value, so it is not sent at
  all while it is owned (nothing is sent in its place: a receiver holds its
  last value, as it must anyway when packets are lost);
- the head count (`count`) is theirs too while their `presence` is: it
  tells when each of them arrives, leaves or is gated by signal quality;
- an unknown value (NaN: nobody carries it) is not sent;
- a heartbeat is one person's beat, and a run of them is their heart
  rhythm: beats go out only while the heart is carried by 3 or more people
  (`heart_rate` not owned), never with whose they are, and only of people
  who consented to `record`, since whoever listens on the network may keep
  what they receive.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from symphony.collective.names import COLLECTIVE_FEATURES
from symphony.collective.room import RoomFrame

PREFIX = "/symphony/collective/"
# Events a performance can ask an output for (sent when the room produces them).
OUT_EVENTS: tuple[str, ...] = ("heartbeat", "convergence")
HEART = "heart_rate"  # owned while fewer than 3 people's hearts are heard
# Features the room does not mark owned but that the same few people carry: the
# room's head count (their fades, their quality gate) goes with their `presence`.
CARRIED_WITH = {"count": "presence"}

Message = tuple[str, float]


def address(name: str) -> str:
    return f"{PREFIX}{name}"


def feature_messages(frame: RoomFrame, names: Iterable[str] | None = None) -> list[Message]:
    """The collective features of one update that may go out (module docstring)."""
    chosen = COLLECTIVE_FEATURES if names is None else names
    out = []
    for name in chosen:
        if name in frame.owners or CARRIED_WITH.get(name) in frame.owners:
            continue
        value = frame.values.get(name, math.nan)
        if math.isfinite(value):
            out.append((address(name), float(value)))
    return out


def event_messages(frame: RoomFrame, may_keep: Callable[[str], bool]) -> list[Message]:
    """The events of one update that may go out: the room's own (`convergence`,
    value 1), then the heartbeat triggers, anonymously, in time order."""
    out = [(address(e.source), float(e.gain)) for e in frame.events if e.source in OUT_EVENTS]
    if HEART in frame.owners or not math.isfinite(frame.values.get(HEART, math.nan)):
        return out
    out.extend(
        (address("heartbeat"), float(beat.gain))
        for beat in frame.triggers
        if beat.source == "heartbeat" and may_keep(beat.participant)
    )
    return out
