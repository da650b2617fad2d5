"""The room as `symphony monitor --collective` shows it: signals in, one Room, its state out.

`RoomFeed` runs the collective stage the way a live show does
(`live/control.py`): every person's signals go into one `GroupFeatures`,
and at each room update (`ROOM_HOP`) their new frames, up to
`FEATURE_LAG` ago (`delay.py`), and heartbeats are observed, in the same
calls, by the same `Room` that render and live step. So what monitor
prints from a recording is what the room would do to the sound of a show
fed by it.

`frame_record` turns one update into the JSON object monitor prints:
`time`, `collective` (every collective feature as {value, unit}, under the
names mappings use, `collective.NAME`) and `roster` (counts of people heard,
fading in or out, and gated out by signal quality). `owned` lists the
features carried by fewer than 3 people at that moment: those values are
those people's own data (a show's OSC output leaves them out).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from symphony.collective.delay import feature_time
from symphony.collective.names import COLLECTIVE_FEATURES
from symphony.collective.room import INPUTS, Room, RoomFrame
from symphony.features.group import GroupFeatures
from symphony.features.track import FeatureTrack
from symphony.inputs.recording import Signal

FADING = ("fading in", "fading out", "gone")  # roster statuses on their way in or out


def roster_counts(counts: dict[str, int]) -> dict[str, int]:
    """The roster as three counts: heard, fading (in, out or leaving), gated (quality)."""
    return {
        "heard": counts.get("heard", 0),
        "fading": sum(counts.get(status, 0) for status in FADING),
        "gated": counts.get("gated", 0),
    }


def _rounded(x: float) -> float | None:
    return round(x, 4) if math.isfinite(x) else None


def frame_record(frame: RoomFrame) -> dict[str, Any]:
    """One room update as monitor's JSON object (module docstring); unknown values are null."""
    collective = {
        name: {"value": _rounded(frame.values.get(name, math.nan)), "unit": info.unit}
        for name, info in COLLECTIVE_FEATURES.items()
    }
    return {
        "time": round(frame.time, 3),
        "collective": collective,
        "roster": roster_counts(frame.counts),
        "owned": sorted(name for name in frame.owners if name in COLLECTIVE_FEATURES),
    }


class RoomFeed:
    """Signals of many people -> features -> the room (see module docstring)."""

    def __init__(self, rate: float, room: Room | None = None) -> None:
        self.features = GroupFeatures(rate)
        self.room = room or Room()

    def push(self, participant: str, signal: Signal) -> None:
        self.features.push(participant, signal)

    def update(self, now: float) -> RoomFrame:
        """Pull everyone's frames up to `now`, observe them as a show does, update the room.

        Call it every ROOM_HOP of show time, with times computed as the live
        loop computes them (frame / rate), for the very same values.
        """
        # Frames up to FEATURE_LAG ago only, as the live show and the render read them.
        for name, track in self.features.pull(feature_time(now, self.features.rate)).items():
            observe(self.room, name, track, now)
        return self.room.update(now)


def observe(room: Room, participant: str, track: FeatureTrack, now: float) -> None:
    """A person's new frames and heartbeats into the room: their latest frame counts."""
    for t in track.events.get("heartbeat", ()):
        room.beat(participant, float(t))
    if not track.n_frames:
        return
    row = np.array(
        [float(track.values[k][-1]) if k in track.values else math.nan for k in INPUTS],
        dtype=np.float64,
    )
    stale = track.values.get("stale")
    room.observe_row(participant, row, bool(stale is not None and stale[-1] >= 0.5), now)
