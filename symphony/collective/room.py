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
   per-person feature (`robust.py`), the mean breathing phase and the
   phase coherences (`phases.py`), and the mood participants (`moods.py`);
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
from symphony.collective.voices import SeatMap

Array = npt.NDArray[np.float64]

ROOM_HOP = 0.04  # s between room updates (25 Hz): the live feature pull's hop
PRIVATE_BELOW = 3.0  # a value carried by fewer people than this is theirs
GAIN_MEMORY = 128  # updates of gain history (about 5 s) for weighting late beats
# The per-person features the room reads, in the order of `observe_row`'s rows.
INPUTS: tuple[str, ...] = (*MEDIAN_FEATURES, "breath_phase", "quality")
_QUALITY = INPUTS.index("quality")
_PHASE = INPUTS.index("breath_phase")
_MEDIAN_COLS = [INPUTS.index(name) for name in MEDIAN_FEATURES]


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
    """One heartbeat (or other event) of one person, as the room weights it."""

    participant: str
    time: float
    gain: float


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
        members = list(self.roster.members.values())
        ids = self.store.ids
        gains = np.array([m.gain for m in members], dtype=np.float64)
        self._gains.append((t, dict(zip(ids, gains.tolist(), strict=True))))
        values, presence, owners = self._features(t, ids, gains)
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
        values: dict[str, float] = {}
        presence: dict[str, float] = {}
        for c, name in enumerate(MEDIAN_FEATURES):
            values[name] = float(medians[c])
            values[f"{name}_spread"] = float(spreads[c])
            presence[name] = presence[f"{name}_spread"] = float(backed[c])
        owners = _owners(ids, weights, INPUTS)
        for name in MEDIAN_FEATURES:
            if name in owners:
                owners[f"{name}_spread"] = owners[name]
        phase_w = weights[:, _PHASE]
        values["breath_phase"], values["breath_sync"] = phase_stats(values_m[:, _PHASE], phase_w)
        presence["breath_phase"] = presence["breath_sync"] = float(phase_w.max(initial=0.0))
        if "breath_phase" in owners:
            owners["breath_sync"] = owners["breath_phase"]
        # The hearts' phase where the features are read (delay.py): the same beats are known
        # then live (detected late) and in a render.
        heart_t = t - FEATURE_LAG
        heart = np.array([beat_phase_now(heart_t, self.store.beats[p]) for p in ids])
        heart_w = gains * np.isfinite(heart)
        values["heart_sync"] = phase_stats(heart, heart_w)[1]
        presence["heart_sync"] = float(heart_w.max(initial=0.0))
        mass = float(gains.sum())
        quality = values_m[:, _QUALITY]
        values["count"] = mass
        values["presence"] = float(np.dot(gains, np.nan_to_num(quality)) / mass) if mass else 0.0
        presence["count"] = presence["presence"] = 1.0
        extra = _owners(ids, np.stack([heart_w, gains], axis=1), ("heart_sync", "presence"))
        owners.update(extra)
        return values, presence, owners

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
