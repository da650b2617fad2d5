"""The daily programme: which scene plays, and how loud the room may be, at a time of day.

Everything here is a pure function of the time of day (seconds after
midnight) and the performance's `[programme]`, so a test runs a whole day in
milliseconds, and `symphony play` asks the same question of an injectable
clock (`DayClock`: the wall clock, or an accelerated one for previews and
tests).

- **Parts.** The part in force at `t` is the last one that began at or before
  `t`; before the first part of the day, yesterday's last part still plays.
  A part is reached over its fade (the show's scene crossfade).
- **Quiet hours.** Each interval caps the master gain (or silences it). The
  cap is reached at the interval's start (it begins to fall `quiet_fade`
  seconds before) and released over `quiet_fade` seconds after its end, so
  nothing jumps; overlapping intervals take the lowest cap. The cap moves
  linearly in dB.
- **The show's timeline** loops or holds its last scene (`timeline`): in a
  loop the conductor plays the first pass itself and `looped_cues` hands the
  player every later pass's cues as they fall due.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from symphony.performance.schema import Cue
from symphony.sanctuary.spec import DAY, PartSpec, ProgrammeSpec


@dataclass(frozen=True)
class ProgrammeAt:
    """What the programme asks for at one time of day."""

    scene: str | None  # the part's scene (None: the programme has no parts)
    part: int  # its index in the programme's parts (-1: none)
    since: float  # seconds since the part began
    fade: float  # the part's fade, seconds
    next_scene: str | None
    next_in: float  # seconds until the next part begins (inf: none)
    cap_db: float  # the master's cap now (0.0: no cap)
    quiet: bool  # inside quiet hours (not only fading towards them)

    @property
    def progress(self) -> float:
        """How far the fade into this part has come, 0..1."""
        return 1.0 if self.fade <= 0.0 else min(1.0, self.since / self.fade)


def part_fade(programme: ProgrammeSpec, part: PartSpec) -> float:
    return programme.fade if part.fade is None else part.fade


def _ordered(programme: ProgrammeSpec) -> list[tuple[int, PartSpec]]:
    return sorted(enumerate(programme.parts), key=lambda ip: ip[1].at)


def quiet_weight(start: float, end: float, fade: float, t: float) -> tuple[float, bool]:
    """How much of an interval's cap applies at `t` (0..1), and whether `t` is inside it."""
    length = (end - start) % DAY
    u = (t - start) % DAY
    if u < length:
        return 1.0, True
    after_end = u - length
    before_start = DAY - u
    weight = max(0.0, 1.0 - after_end / fade, 1.0 - before_start / fade)
    return weight, False


def quiet_cap(programme: ProgrammeSpec, t: float) -> tuple[float, bool]:
    """(the master's cap in dB at time of day `t`, inside quiet hours)."""
    cap, inside = 0.0, False
    for q in programme.quiet:
        weight, within = quiet_weight(q.start, q.end, programme.quiet_fade, t)
        cap = min(cap, weight * q.cap)
        inside = inside or within
    return cap, inside


def programme_at(programme: ProgrammeSpec, t: float) -> ProgrammeAt:
    """The programme at time of day `t` (seconds after midnight; wrapped into the day)."""
    t = t % DAY
    cap, quiet = quiet_cap(programme, t)
    ordered = _ordered(programme)
    if not ordered:
        return ProgrammeAt(None, -1, 0.0, 0.0, None, math.inf, cap, quiet)
    k = max((k for k, (_, p) in enumerate(ordered) if p.at <= t), default=len(ordered) - 1)
    index, part = ordered[k]
    _, following = ordered[(k + 1) % len(ordered)]
    since = (t - part.at) % DAY
    next_in = (following.at - t) % DAY or DAY
    return ProgrammeAt(
        part.scene,
        index,
        since,
        part_fade(programme, part),
        following.scene,
        next_in,
        cap,
        quiet,
    )


def looped_cues(timeline: Sequence[Cue], duration: float, t0: float, t1: float) -> list[Cue]:
    """Cues of the timeline's later passes (2nd, 3rd, ...) that fall in (t0, t1] of show time.

    Each comes back with its `at` moved to its pass: the conductor plays the
    first pass from the performance itself.
    """
    if not timeline or duration <= 0.0 or t1 <= t0:
        return []
    due = []
    first = max(1, math.floor(t0 / duration))
    for k in range(first, math.floor(t1 / duration) + 1):
        for cue in timeline:
            at = k * duration + cue.at
            if t0 < at <= t1:
                due.append(cue.model_copy(update={"at": at}))
    return due


def wall_time_of_day(now: float | None = None) -> float:
    """Seconds after local midnight, from the wall clock."""
    tm = time.localtime(time.time() if now is None else now)
    return float(tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec)


@dataclass
class DayClock:
    """The time of day the programme follows: the wall clock (speed 1, no start),
    or, for previews and tests, a day that starts at `start` and runs `speed`
    times faster than the show clock."""

    show_clock: Callable[[], float]
    speed: float = 1.0
    start: float | None = None

    def __call__(self) -> float:
        if self.start is None and self.speed == 1.0:
            return wall_time_of_day()
        origin = wall_time_of_day() if self.start is None else self.start
        return (origin + self.speed * self.show_clock()) % DAY


class ProgrammeRunner:
    """Turns the programme into scene calls as the day goes on (stateful, cheap).

    `due()` returns the scene calls (scene, fade) to make now: the part in
    force at the first call (at once: the player's fade-in covers it), then
    each new part as it begins, with its fade.
    """

    def __init__(self, programme: ProgrammeSpec, time_of_day: Callable[[], float]) -> None:
        self.programme = programme
        self.time_of_day = time_of_day
        self.part: int | None = None
        self.now = programme_at(programme, time_of_day())

    def due(self) -> list[tuple[str, float]]:
        self.now = programme_at(self.programme, self.time_of_day())
        at = self.now
        if at.scene is None or at.part == self.part:
            return []
        first = self.part is None
        self.part = at.part
        # A part entered late (the player started, or the clock jumped) fades
        # over what is left of its fade.
        fade = 0.0 if first else max(0.0, at.fade - at.since)
        return [(at.scene, fade)]
