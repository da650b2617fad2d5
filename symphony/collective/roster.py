"""Who is in the room, and how much of each person is heard right now.

People come and go: a sensor connects or drops, an LSL stream appears, a
headset slips. Each person in the roster has a *gain* between 0 and 1 that
moves toward a target at a stated speed, so nobody ever pops in or out of
the sound:

- a newcomer (their first sample arrived) fades in over `join` (10 s);
- the quality gate decides *whether* a person is heard, with hysteresis
  (open at `gate_open`, closed below `gate_close`), so a flickering contact
  does not switch them back and forth; gated out, they fade out over `out`
  (5 s), and back in over `back` (3 s);
- someone whose signals stopped (stale) for `gone_after` (5 s) is gone:
  they fade out over `out` and, once silent, leave the roster and every
  statistic; if they return later they are a newcomer again;
- withdrawing `sound` consent fades them out within `withdraw` (1 s);
  granting it again fades them in like a newcomer.

Pure state on the update clock (show seconds passed in), no wall time, so
a live show and its render step through exactly the same gains.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from symphony.collective.consent import Consent


@dataclass(frozen=True)
class Fades:
    """The roster's timings (seconds) and quality gate thresholds."""

    join: float = 10.0
    back: float = 3.0
    out: float = 5.0
    withdraw: float = 1.0
    gone_after: float = 5.0
    gate_open: float = 0.6
    gate_close: float = 0.3


class Status(Enum):
    """What the console shows for each person."""

    HEARD = "heard"
    FADING_IN = "fading in"
    FADING_OUT = "fading out"
    GATED = "gated"  # signal quality too low: not heard
    MUTED = "no sound consent"
    GONE = "gone"  # stale: fading out before leaving the roster


@dataclass
class Member:
    """One person in the roster."""

    participant: str
    joined: float
    gain: float = 0.0
    gate: bool = False
    quality: float = 0.0
    stale_since: float = math.nan  # when their signals stopped; NaN while they arrive
    settled: bool = False  # reached full gain since joining: later fade-ins are `back`
    heard_seconds: float = 0.0
    status: Status = Status.FADING_IN


class Roster:
    """The people in the room, in order of arrival, with their gains."""

    def __init__(self, fades: Fades | None = None) -> None:
        self.fades = fades or Fades()
        self.members: dict[str, Member] = {}
        self.last_t = math.nan

    def __contains__(self, participant: str) -> bool:
        return participant in self.members

    def observe(self, participant: str, quality: float, stale: bool, t: float) -> bool:
        """The latest frame of a person; a person not in the roster joins (True) if not stale."""
        member = self.members.get(participant)
        if member is None:
            if stale:
                return False
            member = self.members[participant] = Member(participant, joined=t)
        q = quality if math.isfinite(quality) else 0.0
        member.quality = q
        if stale:
            if math.isnan(member.stale_since):
                member.stale_since = t
        else:
            member.stale_since = math.nan
        f = self.fades
        if member.gate and q < f.gate_close:
            member.gate = False
        elif not member.gate and q >= f.gate_open:
            member.gate = True
        return member.joined == t

    def step(self, t: float, consent: Callable[[str], Consent]) -> list[str]:
        """Move every gain toward its target; return the people who left the roster."""
        dt = 0.0 if math.isnan(self.last_t) else max(0.0, t - self.last_t)
        self.last_t = t
        left = []
        for member in self.members.values():
            self._move(member, t, dt, consent(member.participant))
            if member.status is Status.GONE and member.gain <= 0.0:
                left.append(member.participant)
        for participant in left:
            del self.members[participant]
        return left

    def _move(self, m: Member, t: float, dt: float, consent: Consent) -> None:
        f = self.fades
        gone = not math.isnan(m.stale_since) and t - m.stale_since >= f.gone_after
        if gone:
            target, status, speed = 0.0, Status.GONE, f.out
        elif not consent.sound:
            target, status, speed = 0.0, Status.MUTED, f.withdraw
            m.settled = False  # a new grant fades in like a newcomer
        elif not m.gate:
            target, status, speed = 0.0, Status.GATED, f.out
        else:
            target, status, speed = 1.0, Status.HEARD, f.back if m.settled else f.join
        m.heard_seconds += m.gain * dt
        if target > m.gain:
            m.gain = min(target, m.gain + dt / speed)
            if m.gain < 1.0:
                status = Status.FADING_IN
        elif target < m.gain:
            m.gain = max(target, m.gain - dt / speed)
            if status is Status.HEARD:
                status = Status.FADING_OUT
        if m.gain >= 1.0:
            m.settled = True
        m.status = status

    def counts(self) -> dict[str, int]:
        """How many people are in each status (for status lines and `/health`)."""
        out = {s.value: 0 for s in Status}
        for m in self.members.values():
            out[m.status.value] += 1
        return out
