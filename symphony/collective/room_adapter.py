"""Stand-in for the room stage: builds each update's `Presence` list from today's data.

The room stage (join/leave fades, the quality gate, sound consent) will hand
`RoomVoices` its `Presence` list itself; until then this adapter builds it
the way the heartbeat triggers are weighted today: everyone in join order,
seated by `SeatMap` exactly as `voices.allocate` seats them (so a person's
heartbeat and breath come from one place), their gain the quality weight of
`collective.aggregate`, `record` from nothing (the live session log does not
yet leave anyone's changes out). Used by `render` (`voice_schedule`) and by
the live control process (`LiveVoices`), so both hear the same room.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from symphony.collective.aggregate import quality_weight
from symphony.collective.voices import SeatMap
from symphony.collective.voicing import Change, Presence, RoomVoices
from symphony.features.track import FeatureTrack
from symphony.mapping.layout import ControlLayout
from symphony.mapping.schedule import Schedule, time_to_block
from symphony.performance.schema import PerformanceSpec

ROOM_HOP = 0.04  # seconds between room updates (25 Hz), as the live control process pulls


def _gain(features: Mapping[str, float]) -> float:
    q = features.get("quality", 0.0)
    if q is None or not math.isfinite(q):
        return 0.0
    return float(quality_weight(np.array([q]))[0])


def presences(
    order: Sequence[str], latest: Mapping[str, Mapping[str, float]], seats: SeatMap
) -> list[Presence]:
    """Everyone known, in join order, as the room would hear them now."""
    seats.sync(list(order))
    return [
        Presence(p, _gain(latest[p]), seats.seat(p), dict(latest[p]), record=False) for p in order
    ]


class LiveVoices:
    """What the live control process calls at each feature pull."""

    def __init__(self, spec: PerformanceSpec, layout: ControlLayout) -> None:
        self.voices = RoomVoices(spec, layout)
        self.seats = SeatMap(circular=False)  # as voices.allocate seats the heartbeats
        self.active = bool(spec.voices)

    def update(
        self, now: float, order: Sequence[str], latest: Mapping[str, Mapping[str, float]]
    ) -> list[Change]:
        if not self.active:
            return []
        return self.voices.update(now, presences(order, latest, self.seats))


def changes_schedule(
    updates: Sequence[tuple[float, list[Change]]], sample_rate: float, block_size: int
) -> Schedule:
    """Room updates' changes, (time, changes) in time order, as an engine schedule."""
    blocks, targets, values = [], [], []
    for t, changes in updates:
        block = int(time_to_block(np.array([t]), sample_rate, block_size)[0])
        for target, value, _who in changes:
            blocks.append(block)
            targets.append(target)
            values.append(value)
    return Schedule(
        np.array(blocks, dtype=np.int64), np.array(targets, dtype=np.int64), np.array(values)
    )


def voice_schedule(
    spec: PerformanceSpec,
    layout: ControlLayout,
    tracks: Sequence[FeatureTrack],
    times: np.ndarray,
    circular: bool = False,
) -> Schedule:
    """The continuous voices of a render: a room update every `ROOM_HOP` s of the plan's frames."""
    if not spec.voices or times.size == 0:
        return Schedule.empty()
    rate = tracks[0].rate if tracks else 1.0
    hop = max(1, round(ROOM_HOP * rate))
    voices = RoomVoices(spec, layout)
    seats = SeatMap(circular)
    order = [t.participant for t in tracks]
    updates = []
    for frame in range(0, times.size, hop):
        latest = {
            t.participant: {
                k: float(v[frame]) if frame < v.size else math.nan for k, v in t.values.items()
            }
            for t in tracks
        }
        t = float(times[frame])
        updates.append((t, voices.update(t, presences(order, latest, seats))))
    return changes_schedule(updates, spec.output.sample_rate, spec.output.block_size)
