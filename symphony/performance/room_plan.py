"""The room over a whole render: every participant's feature track through one `Room`.

A render knows everyone's features in advance, but it must hear the room
exactly as a live show does, so it makes the very calls `LiveControl`
makes, in the same order: every `room_hop_frames` frames each person's
frame of `FEATURE_LAG` before that moment is observed (`collective/delay.py`),
the heartbeats since the last update are handed over, and the room
updates. Between updates the collective values stand, as they do live.
What comes out is frame-aligned arrays for the conductor, and the weighted
heartbeats.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from symphony.collective.delay import lag_frames
from symphony.collective.names import COLLECTIVE_FEATURES
from symphony.collective.room import INPUTS, Room, RoomFrame, Trigger, room_hop_frames
from symphony.features.track import FeatureTrack

Array = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class RoomTimeline:
    """The room's state at every frame of a render (held between room updates)."""

    values: dict[str, Array]
    presence: dict[str, Array]
    # Per feature and frame: carried by fewer than 3 people (their own data) ...
    owned: dict[str, BoolArray]
    # ... one of whom did not consent to keep it: marked at the update frames only,
    # as a live show notes owners at its updates (`privacy.LaneOwners`).
    unkept: dict[str, BoolArray]
    triggers: list[Trigger]
    counts: list[tuple[float, dict[str, int]]] = field(default_factory=list)


def _rows(track: FeatureTrack, n: int) -> Array:
    """(frames, inputs) matrix of one track, NaN where a feature is absent."""
    out = np.full((n, len(INPUTS)), np.nan)
    for j, name in enumerate(INPUTS):
        v = track.values.get(name)
        if v is not None:
            m = min(n, v.size)
            out[:m, j] = v[:m]
    return out


def _stale(track: FeatureTrack, n: int) -> BoolArray:
    v = track.values.get("stale")
    out = np.zeros(n, dtype=bool)
    if v is not None:
        m = min(n, v.size)
        out[:m] = v[:m] >= 0.5
    return out


def run_room(
    room: Room,
    tracks: list[FeatureTrack],
    rate: float,
    n: int,
    on_frame: Callable[[RoomFrame], None] | None = None,
) -> RoomTimeline:
    """Step `room` through `n` frames of `tracks` as a live show would (module docstring).

    `on_frame` sees every update's frame, in order (the per-person voices follow it).
    """
    hop = room_hop_frames(rate)
    names = list(COLLECTIVE_FEATURES)
    starts = list(range(0, n, hop))
    held = _Held(names, len(starts))
    rows = [_rows(t, n) for t in tracks]
    stale = [_stale(t, n) for t in tracks]
    beats = [np.asarray(t.events.get("heartbeat", np.zeros(0)), dtype=np.float64) for t in tracks]
    cursor = [0] * len(tracks)
    triggers: list[Trigger] = []
    counts: list[tuple[float, dict[str, int]]] = []
    lag = lag_frames(rate)
    for u, k in enumerate(starts):
        t = k / rate
        for i, track in enumerate(tracks):
            if k >= lag:  # the frame of FEATURE_LAG ago, as live (collective/delay.py)
                room.observe_row(track.participant, rows[i][k - lag], bool(stale[i][k - lag]), t)
            b = beats[i]
            j = cursor[i]
            while j < b.size and b[j] <= t:
                room.beat(track.participant, float(b[j]))
                j += 1
            cursor[i] = j
        frame = room.update(t)
        if on_frame is not None:
            on_frame(frame)
        held.note(u, frame, room)
        triggers.extend(frame.triggers)
        counts.append((t, frame.counts))
    values, presence, owned, unkept = held.frames(hop, n)
    return RoomTimeline(values, presence, owned, unkept, triggers, counts)


class _Held:
    """Every update's state, one row per update, spread over its frames at the end."""

    def __init__(self, names: list[str], updates: int) -> None:
        self.names = names
        self.column = {name: c for c, name in enumerate(names)}
        self.values = np.full((updates, len(names)), np.nan)
        self.presence = np.zeros((updates, len(names)))
        self.owned = np.zeros((updates, len(names)), dtype=bool)
        self.unkept = np.zeros((updates, len(names)), dtype=bool)

    def note(self, u: int, frame: RoomFrame, room: Room) -> None:
        column = self.column
        for name, v in frame.values.items():
            c = column.get(name)
            if c is not None:
                self.values[u, c] = v
                self.presence[u, c] = frame.presence.get(name, 1.0)
        for name, whose in frame.owners.items():
            c = column.get(name)
            if c is None:
                continue
            self.owned[u, c] = True
            if any(not room.consent_of(p).record for p in whose):
                self.unkept[u, c] = True

    def frames(
        self, hop: int, n: int
    ) -> tuple[dict[str, Array], dict[str, Array], dict[str, BoolArray], dict[str, BoolArray]]:
        """Per name, the frame-aligned arrays: each update's row held over its hop.

        `unkept` is marked at the update frames only, as a live show notes
        owners at its updates (`privacy.LaneOwners`).
        """

        def spread(m: npt.NDArray[Any]) -> npt.NDArray[Any]:
            return np.repeat(m, hop, axis=0)[:n]

        values, presence, owned = spread(self.values), spread(self.presence), spread(self.owned)
        unkept = np.zeros((n, len(self.names)), dtype=bool)
        unkept[::hop] = self.unkept

        def split(m: npt.NDArray[Any]) -> dict[str, npt.NDArray[Any]]:
            return {name: np.ascontiguousarray(m[:, c]) for c, name in enumerate(self.names)}

        return split(values), split(presence), split(owned), split(unkept)
