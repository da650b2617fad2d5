"""The collective stage: everyone's latest features in, the room's state out.

One `Room` serves the render (`performance/room_plan.py`, stepping through
the recorded or simulated features) and the live show (`live/control.py`,
stepping as frames arrive), with the same calls in the same order, so the
two give bit-identical collective values. Per update (every `ROOM_HOP`
seconds of show time) it:

1. takes in the frames observed since the last update, in name order, and
   moves everyone's gain (`roster.py`: joins, quality gate, departures,
   sound consent);
2. takes the equal-weight, fade-continuous median and spread of every
   per-person feature (`robust.py`), the mean breathing phase
   (`phases.py`), the synchrony with its surrogate p-values and the
   `convergence` event (`synchrony.py`, sampled every `SYNC_HOP` and held
   between), and the mood participants (`moods.py`);
3. says whose data each value is while fewer than 3 people carry it
   (`owners`): such a value *is* their value, and privacy rules apply;
4. weights each heartbeat by its person's gain at the beat's own time, so a
   beat delivered late (as live ones are) is weighted as in the render.

Nothing here touches a device, a file or a clock.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from symphony.collective.consent import Consent, ConsentBook
from symphony.collective.delay import FEATURE_LAG
from symphony.collective.moods import MoodRoom
from symphony.collective.names import MEDIAN_FEATURES
from symphony.collective.people import PeopleStore
from symphony.collective.phases import beat_phase_now, phase_stats
from symphony.collective.robust import fade_medians
from symphony.collective.roster import Fades, Member, Roster, Status
from symphony.collective.synchrony import Synchrony
from symphony.collective.voices import SeatMap

Array = npt.NDArray[np.float64]

ROOM_HOP = 0.04  # s between room updates (25 Hz): the live feature pull's hop
PRIVATE_BELOW = 3.0  # a value carried by fewer people than this is theirs
GAIN_MEMORY = 128  # updates of gain history (about 5 s) for weighting late beats
HEART_LAG = FEATURE_LAG  # heart phase is read this long ago, when live knows the same beats
# The per-person features the room reads, in the order of `observe_row`'s rows.
INPUTS: tuple[str, ...] = (*MEDIAN_FEATURES, "breath_phase", "quality")
_QUALITY = INPUTS.index("quality")
_PHASE = INPUTS.index("breath_phase")
_MEDIAN_COLS = [INPUTS.index(name) for name in MEDIAN_FEATURES]
_SPREADS = tuple(f"{name}_spread" for name in MEDIAN_FEATURES)
_SYNC_COLS = [INPUTS.index(name) for name in ("heart_rate", "breath_rate", "breath_phase")]


def room_hop_frames(rate: float) -> int:
    """Control frames between room updates: ROOM_HOP at `rate` frames per second."""
    return max(1, round(ROOM_HOP * rate))


class FeatureRow(Mapping[str, float]):
    """One person's latest features, read by name (a view of the room's matrix row)."""

    def __init__(self, row: Array) -> None:
        self._row = row

    def __getitem__(self, name: str) -> float:
        return float(self._row[INPUTS.index(name)])

    def __iter__(self) -> Iterator[str]:
        return iter(INPUTS)

    def __len__(self) -> int:
        return len(INPUTS)


@dataclass(frozen=True)
class Presence:
    """One person as the room hears them right now (for per-person voices)."""

    participant: str
    gain: float  # 0..1: fade-in/out x quality gate x sound consent
    seat: float  # 0..1 position in the room (`voices.SeatMap`), stable while present
    features: Mapping[str, float]  # their latest per-person features (NaN: unknown)
    record: bool  # may their data be kept
    status: Status = Status.HEARD


@dataclass(frozen=True)
class Trigger:
    """One heartbeat (or other event) of one person, as the room weights it.

    `source` names the event: "heartbeat" (a person's), or "convergence"
    (the room's: `participant` is empty and `gain` 1).
    """

    participant: str
    time: float
    gain: float
    source: str = "heartbeat"


@dataclass
class RoomFrame:
    """The room at one update."""

    time: float
    values: dict[str, float]
    presence: dict[str, float]  # per feature: how much of the room backs it (0..1)
    owners: dict[str, frozenset[str]]  # features carried by fewer than 3 people: whose
    people: list[Presence]
    triggers: list[Trigger] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    joined: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    # The room's own events at this update (`convergence`), kept apart from the beats.
    events: list[Trigger] = field(default_factory=list)


class Room:
    """Everyone's latest features -> the collective state (see module docstring)."""

    def __init__(
        self,
        consent: ConsentBook | None = None,
        fades: Fades | None = None,
        *,
        circular: bool = False,
    ) -> None:
        """`circular`: seats go once around a ring of speakers, else left to right."""
        self.consent = consent or ConsentBook()
        self.roster = Roster(fades)
        self.seats = SeatMap(circular)
        self.store = PeopleStore(INPUTS)
        self.moods = MoodRoom()
        self.sync = Synchrony()
        self._pending: dict[str, tuple[Array, bool, float]] = {}
        self._pending_beats: list[tuple[str, float]] = []
        self._gains: deque[tuple[float, dict[str, float]]] = deque(maxlen=GAIN_MEMORY)
        self.totals: dict[str, list[float]] = {}  # person -> [heard s, influence s]
        self._last_t = math.nan

    # --- what arrives --------------------------------------------------------------------

    def observe(self, participant: str, frame: Mapping[str, float], t: float) -> None:
        """A person's newest feature frame, by feature name (see `observe_row`)."""
        row = np.array([frame.get(name, math.nan) for name in INPUTS], dtype=np.float64)
        self.observe_row(participant, row, frame.get("stale", 0.0) >= 0.5, t)

    def observe_row(self, participant: str, row: Array, stale: bool, t: float) -> None:
        """A person's newest frame as a row of `INPUTS`, taken in at the next update.

        Frames wait for `update`, which takes them in name order: who arrived
        first within one update never depends on the order sources were read.
        """
        self._pending[participant] = (row, stale, t)

    def beat(self, participant: str, time: float) -> None:
        """A heartbeat of a person (at its own time, which may be before now)."""
        self._pending_beats.append((participant, float(time)))

    def mood(self, device: str, valence: float, arousal: float, t: float) -> None:
        self.moods.set(device, valence, arousal, t)

    def leave_mood(self, device: str) -> None:
        self.moods.leave(device)

    def consent_of(self, participant: str) -> Consent:
        return self.consent.get(participant)

    # --- one update ----------------------------------------------------------------------

    def update(self, t: float) -> RoomFrame:
        """The room's state at show time `t` (updates must come in time order)."""
        dt = 0.0 if math.isnan(self._last_t) else max(0.0, t - self._last_t)
        self._last_t = t
        joined = self._take_in()
        beats = self._take_beats()
        left = self.roster.step(t, self.consent.get)
        self.store.leave(left)
        for participant in left:
            self.seats.leave(participant)
            self.sync.forget(participant)
        members = list(self.roster.members.values())
        ids = self.store.ids
        gains = np.array([m.gain for m in members], dtype=np.float64)
        self._gains.append((t, dict(zip(ids, gains.tolist(), strict=True))))
        values, presence, owners = self._features(t, ids, gains)
        events = self._synchrony(t, ids, gains)
        values.update(self.sync.values)
        presence.update(self.sync.presence())
        mood = self.moods.update(t)
        values.update(mood.values)
        for name in mood.values:
            presence[name] = mood.presence
            if mood.owners:
                owners[name] = mood.owners
        self._account(ids, gains, dt)
        return RoomFrame(
            time=t,
            values=values,
            presence=presence,
            owners=owners,
            people=self._presences(members),
            triggers=self._weigh(beats),
            counts=self.roster.counts(),
            joined=joined,
            left=left,
            events=events,
        )

    def _take_in(self) -> list[str]:
        """The frames observed since the last update; returns who joined."""
        observed, rows, joined = [], [], []
        for participant in sorted(self._pending):
            row, stale, t = self._pending[participant]
            if self.roster.observe(participant, float(row[_QUALITY]), stale, t):
                self.store.join(participant)
                self.seats.leave(participant)  # someone back after leaving takes a new seat
                self.seats.join(participant)
                joined.append(participant)
            if participant in self.store:
                observed.append(participant)
                rows.append(row)
        if observed:
            self.store.take(observed, np.vstack(rows), self._last_t)
        self._pending = {}
        return joined

    def _take_beats(self) -> list[tuple[str, float]]:
        """Pending beats in time order, remembered for the heart-phase coherence."""
        beats = sorted(self._pending_beats, key=lambda b: (b[1], b[0]))
        self._pending_beats = []
        for participant, time in beats:
            self.store.beat(participant, time)
        return beats

    def _features(
        self, t: float, ids: list[str], gains: Array
    ) -> tuple[dict[str, float], dict[str, float], dict[str, frozenset[str]]]:
        values_m = self.store.values
        weights = gains[:, None] * self.store.known(t, self.roster.fades.join)
        medians, spreads, backed = fade_medians(values_m[:, _MEDIAN_COLS], weights[:, _MEDIAN_COLS])
        # Built by zip, not a loop per name: this runs 25 times a second for every feature.
        backed_list = backed.tolist()
        values = dict(zip(MEDIAN_FEATURES, medians.tolist(), strict=True))
        values.update(zip(_SPREADS, spreads.tolist(), strict=True))
        presence = dict(zip(MEDIAN_FEATURES, backed_list, strict=True))
        presence.update(zip(_SPREADS, backed_list, strict=True))
        owners = _owners(ids, weights, INPUTS)
        for name in MEDIAN_FEATURES:
            if name in owners:
                owners[f"{name}_spread"] = owners[name]
        phase_w = weights[:, _PHASE]
        values["breath_phase"] = phase_stats(values_m[:, _PHASE], phase_w)[0]
        presence["breath_phase"] = float(phase_w.max(initial=0.0))
        mass = float(gains.sum())
        quality = values_m[:, _QUALITY]
        values["count"] = mass
        heard_quality = np.where(np.isfinite(quality), quality, 0.0)
        values["presence"] = float(np.dot(gains, heard_quality) / mass) if mass else 0.0
        presence["count"] = presence["presence"] = 1.0
        owners.update(_owners(ids, gains[:, None], ("presence",)))
        return values, presence, owners

    def _synchrony(self, t: float, ids: list[str], gains: Array) -> list[Trigger]:
        """Sample everyone's rates and phases for the synchrony when one is due (2 Hz).

        The heart phase is read `FEATURE_LAG` ago (`delay.py`), from beats at
        or before then only, which a live show has detected by now as a render has.
        """
        self.sync.work()
        if not self.sync.due(t):
            return []
        rows = np.empty((len(ids), 4))
        rows[:, :3] = self.store.values[:, _SYNC_COLS]
        at = t - FEATURE_LAG
        rows[:, 3] = [beat_phase_now(at, self.store.beats[p]) for p in ids]
        if self.sync.sample(t, ids, rows, gains > 0.0):
            return [Trigger("", t, 1.0, "convergence")]
        return []

    def _presences(self, members: list[Member]) -> list[Presence]:
        return [
            Presence(
                m.participant,
                m.gain,
                self.seats.seat(m.participant),
                FeatureRow(self.store.values[row]),
                self.consent.get(m.participant).record,
                m.status,
            )
            for row, m in enumerate(members)
        ]

    def _weigh(self, beats: list[tuple[str, float]]) -> list[Trigger]:
        """Each beat of a person present, weighted by their gain at the beat's own time."""
        out = []
        for participant, time in beats:
            if participant not in self.store:
                continue
            gain = self._gain_at(participant, time)
            if gain > 0.0:
                out.append(Trigger(participant, time, gain))
        return out

    def _gain_at(self, participant: str, time: float) -> float:
        """The gain of the last update at or before `time` (the oldest kept if earlier)."""
        chosen = self._gains[0][1] if self._gains else {}
        for t, gains in reversed(self._gains):
            if t <= time:
                chosen = gains
                break
        return float(chosen.get(participant, 0.0))

    def _account(self, ids: list[str], gains: Array, dt: float) -> None:
        """Time heard and share of influence, per person, for the equity report."""
        mass = float(gains.sum())
        for participant, g in zip(ids, gains.tolist(), strict=True):
            total = self.totals.setdefault(participant, [0.0, 0.0])
            total[0] += g * dt
            if mass > 0.0:
                total[1] += g / mass * dt


def _owners(ids: list[str], weights: Array, names: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """Columns carried by fewer than PRIVATE_BELOW people's weight: whose they are."""
    if not ids:
        return {}
    mass = weights.sum(axis=0)
    out: dict[str, frozenset[str]] = {}
    for j in np.flatnonzero((mass > 0.0) & (mass < PRIVATE_BELOW)).tolist():
        heard = weights[:, j] > 0.0
        out[names[j]] = frozenset(p for p, h in zip(ids, heard.tolist(), strict=True) if h)
    return out
