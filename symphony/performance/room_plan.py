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
    values = {name: np.full(n, np.nan) for name in names}
    presence = {name: np.zeros(n) for name in names}
    owned = {name: np.zeros(n, dtype=bool) for name in names}
    unkept = {name: np.zeros(n, dtype=bool) for name in names}
    rows = [_rows(t, n) for t in tracks]
    stale = [_stale(t, n) for t in tracks]
    beats = [np.asarray(t.events.get("heartbeat", np.zeros(0)), dtype=np.float64) for t in tracks]
    cursor = [0] * len(tracks)
    triggers: list[Trigger] = []
    counts: list[tuple[float, dict[str, int]]] = []
    lag = lag_frames(rate)
    for k in range(0, n, hop):
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
        _hold(frame, room, k, min(n, k + hop), values, presence, owned, unkept)
        triggers.extend(frame.triggers)
        counts.append((t, frame.counts))
    return RoomTimeline(values, presence, owned, unkept, triggers, counts)


def _hold(
    frame: RoomFrame,
    room: Room,
    a: int,
    b: int,
    values: dict[str, Array],
    presence: dict[str, Array],
    owned: dict[str, BoolArray],
    unkept: dict[str, BoolArray],
) -> None:
    """Write one update's state into frames a..b."""
    for name, v in frame.values.items():
        if name in values:
            values[name][a:b] = v
            presence[name][a:b] = frame.presence.get(name, 1.0)
    for name, whose in frame.owners.items():
        if name not in owned:
            continue
        owned[name][a:b] = True
        if any(not room.consent_of(p).record for p in whose):
            unkept[name][a] = True
