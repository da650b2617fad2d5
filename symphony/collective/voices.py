"""Seats and voices: where each person sits in the room, and which voice is theirs.

A pyo graph is built once, with a fixed number of voices per family, while a
sanctuary's people come and go and may outnumber the voices. Everything here
is pure and deterministic: the state changes only through the calls made, in
the order made, with the time passed in (never a clock), so a live show and
its render, given the same joins and leaves, agree bit for bit.

- `SeatMap`: a newcomer takes the middle of the largest free arc (on a ring)
  or the largest free stretch (stereo: between the walls at 0 and 1); nobody
  else moves; a leaver's seat is simply free again.
- `TriggerVoices` (heartbeats): each person has a voice for as long as they
  are present; with more people than voices, people *share* a voice (a
  newcomer joins the least busy one). Every beat still fires, at its own
  person's seat: nobody is ever silent. Beats of two sharers that land in
  the same audio block merge into one (the later one's seat and velocity).
- `VoiceRotation` (continuous voices: a breath, a tone): with more people
  than voices, voices are handed on in turn. A turn ends with a fade-out,
  then the voice moves (silently) to the person who has waited longest and
  fades in at their seat. See `VoiceRotation` for the bound on waiting.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

TIE = 1e-9  # arcs within this of each other count as equal (then the earliest wins)


class SeatMap:
    """Stable seats, 0..1: on a ring (`circular`) or left to right (stereo)."""

    def __init__(self, circular: bool) -> None:
        self.circular = circular
        self._seats: dict[str, float] = {}

    def __contains__(self, participant: str) -> bool:
        return participant in self._seats

    def __len__(self) -> int:
        return len(self._seats)

    @property
    def seats(self) -> dict[str, float]:
        """Everyone's seat, in join order."""
        return dict(self._seats)

    def seat(self, participant: str) -> float:
        return self._seats[participant]

    def join(self, participant: str) -> float:
        """The participant's seat: kept if already seated, else the middle of the widest gap."""
        if participant not in self._seats:
            self._seats[participant] = self._free_seat()
        return self._seats[participant]

    def leave(self, participant: str) -> None:
        self._seats.pop(participant, None)

    def sync(self, present: Sequence[str]) -> None:
        """Seat newcomers (in the order given) and free the seats of those not present."""
        keep = set(present)
        for gone in [p for p in self._seats if p not in keep]:
            self.leave(gone)
        for p in present:
            self.join(p)

    def _free_seat(self) -> float:
        taken = sorted(self._seats.values())
        if not taken:
            return 0.0 if self.circular else 0.5
        if self.circular:
            ends = [*taken[1:], taken[0] + 1.0]
            gaps = list(zip(taken, ends, strict=True))
        else:
            gaps = list(zip([0.0, *taken], [*taken, 1.0], strict=True))
        widest = max(b - a for a, b in gaps)
        start, end = next((a, b) for a, b in gaps if b - a >= widest - TIE)
        return ((start + end) / 2.0) % 1.0


class TriggerVoices:
    """A trigger voice for each present person; shared when people outnumber voices."""

    def __init__(self, count: int) -> None:
        if count < 1:
            raise ValueError("need at least one voice")
        self.count = count
        self._voice: dict[str, int] = {}

    def voice(self, participant: str) -> int:
        return self._voice[participant]

    def join(self, participant: str) -> int:
        if participant not in self._voice:
            load = [0] * self.count
            for v in self._voice.values():
                load[v] += 1
            self._voice[participant] = min(range(self.count), key=lambda v: (load[v], v))
        return self._voice[participant]

    def leave(self, participant: str) -> None:
        self._voice.pop(participant, None)

    def sync(self, present: Sequence[str]) -> None:
        keep = set(present)
        for gone in [p for p in self._voice if p not in keep]:
            self.leave(gone)
        for p in present:
            self.join(p)


@dataclass
class _VoiceState:
    owner: str | None = None
    since: float = -math.inf  # when the owner took it
    free_at: float = -math.inf  # after a release: when the fade-out is over
    last_owner: str = ""  # who it sounded for last (its release's level belongs to them)


@dataclass
class VoiceRotation:
    """Continuous voices for people who may outnumber them.

    `update(t, eligible)` is called at every room update with the people who
    may be heard now (gain above 0), in join order. While there are enough
    voices, everyone keeps theirs. With P eligible people and V voices,
    W = P - V wait, and every so often the voice held longest is released
    (faded out over `fade`); after the fade (`fade` + `margin`) it goes to
    whoever has waited longest. Handoffs are spaced to meet every waiting
    person's deadline (`_rotate`); in a steady room that is every
    `interval(W)` seconds, and

        nobody waits unheard longer than max(rotation, W * (min_hold + fade + 2 margin) / V
                                              + fade + 2 margin),

    which is `rotation` itself while P <= V * (1 + (rotation - fade - 2 margin) /
    (min_hold + fade + 2 margin)): with the defaults (rotation 30 s, fade 2 s,
    min_hold 5 s) up to about 4.7 times as many people as voices. Beyond that,
    a turn would be shorter than `min_hold`: turns stay `min_hold` long and the
    wait grows with the room (`max_wait`). A voice whose person stops being
    eligible (faded out, gated by signal quality, withdrew sound consent, left)
    is released at once, never cut: its level fades.
    """

    count: int
    rotation: float = 30.0
    fade: float = 2.0
    min_hold: float = 5.0
    margin: float = 0.25  # covers a room update's lag on each side of a fade
    voices: list[_VoiceState] = field(init=False)
    waiting: dict[str, float] = field(init=False, default_factory=dict)  # since when
    _last_handoff: float = field(init=False, default=-math.inf)

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError("need at least one voice")
        self.voices = [_VoiceState() for _ in range(self.count)]

    @property
    def cycle(self) -> float:
        """Time a handed-on voice is silent: its fade-out and the margins."""
        return self.fade + 2.0 * self.margin

    def interval(self, waiting: int) -> float:
        """Seconds between handoffs when `waiting` people wait for a voice."""
        if waiting <= 0:
            return math.inf
        fits = (self.rotation - self.cycle) / waiting
        shortest = (self.min_hold + self.cycle) / self.count
        return max(fits, shortest)

    def max_wait(self, people: int) -> float:
        """The documented bound on how long an eligible person waits unheard."""
        waiting = people - self.count
        if waiting <= 0:
            return self.cycle  # only while a voice that was released is freed again
        return max(self.rotation, waiting * self.interval(waiting) + self.cycle)

    def owners(self) -> list[str | None]:
        return [v.owner for v in self.voices]

    def last_owners(self) -> list[str]:
        return [v.last_owner for v in self.voices]

    def heard(self) -> set[str]:
        return {v.owner for v in self.voices if v.owner is not None}

    def update(self, t: float, eligible: Sequence[str]) -> None:
        """Advance to time `t` with these people eligible (join order)."""
        order = {p: k for k, p in enumerate(eligible)}
        for voice in self.voices:
            if voice.owner is not None and voice.owner not in order:
                self._release(voice, t)
        heard = self.heard()
        self.waiting = {p: since for p, since in self.waiting.items() if p in order}
        for p in eligible:
            if p not in heard and p not in self.waiting:
                self.waiting[p] = t
        self._rotate(t, order)
        self._assign(t, order)

    def _release(self, voice: _VoiceState, t: float) -> None:
        if voice.owner is not None:
            self.waiting[voice.owner] = t
        voice.owner = None
        voice.free_at = t + self.fade + self.margin

    def _rotate(self, t: float, order: dict[str, int]) -> None:
        """Hand on the longest-held voice, as often as the people waiting need.

        The person k-th in the queue (after those a voice being freed will
        take) is served by the k-th handoff from now; handoffs are evenly
        spaced from the last one, as widely as every such deadline allows
        (waiting since + rotation - the handoff's silence), and never closer
        than `min_hold` turns allow. So a room that changes size keeps the
        promise to those already waiting.
        """
        free = sum(1 for v in self.voices if v.owner is None)
        queue = sorted(self.waiting, key=lambda p: (self.waiting[p], order[p]))[free:]
        if not queue:
            self._last_handoff = t  # nobody needs a turn to end: the clock starts afresh
            return
        budget = self.rotation - self.cycle
        last = self._last_handoff
        fits = min((self.waiting[p] + budget - last) / (k + 1) for k, p in enumerate(queue))
        step = max(fits, (self.min_hold + self.cycle) / self.count)
        if t < last + step:
            return
        held = [v for v in self.voices if v.owner is not None]
        if held:
            self._release(min(held, key=lambda v: v.since), t)
        # Anchored, so update lags do not add up; after a long gap, restart from now.
        nxt = last + step
        self._last_handoff = nxt if t - nxt < step else t

    def _assign(self, t: float, order: dict[str, int]) -> None:
        free = [v for v in self.voices if v.owner is None and t >= v.free_at]
        if not free or not self.waiting:
            return
        queue = sorted(self.waiting, key=lambda p: (self.waiting[p], order[p]))
        for voice, person in zip(free, queue, strict=False):
            voice.owner = person
            voice.since = t
            voice.last_owner = person
            del self.waiting[person]


@dataclass(frozen=True)
class Placement:
    voice: int
    pan: float  # 0..1: left to right in stereo, once around the ring otherwise


def allocate(n_participants: int, n_voices: int, circular: bool = False) -> list[Placement]:
    """Seats and trigger voices for participants p01.. who joined in this order.

    The seat of the k-th person depends only on those before them, so a
    newcomer never moves anyone (`SeatMap`); voices are shared by the least
    busy rule of `TriggerVoices` (round-robin when everyone joins in turn).
    """
    if n_participants < 0 or n_voices < 1:
        raise ValueError("need at least one voice and a non-negative number of participants")
    seats = SeatMap(circular)
    voices = TriggerVoices(n_voices)
    names = [f"p{i + 1:02d}" for i in range(n_participants)]
    return [Placement(voice=voices.join(p), pan=seats.join(p)) for p in names]
