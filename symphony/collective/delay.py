"""The room hears everyone `FEATURE_LAG` seconds late, so live and render hear the same frames.

A render knows every frame at once; a live show gets a person's frames a
little after their time (a sensor's packets, an LSL chunk, a recording
played on the clock: 0.02 to 0.2 s here). If the room read each person's
*latest* frame, the render and the live show would read different frames
at the same update, and a re-render would not reproduce the show. So both
read the frame of `update time - FEATURE_LAG`: the render by index
(`performance/room_plan.py`), the live show by pulling the features up to
that time (`live/control.py`). Whenever a person's data arrive within the lag, the two are
bit-identical. The live pull asks for frames up to that time only
(`features.group.GroupFeatures.pull(now)` completes frames up to `now` even
when a sensor is late): a frame made before all of its data had arrived
would differ from the render's.

Half a second costs nothing audible: every feature the room aggregates is
already smoothed over seconds, and heartbeat triggers are not delayed (the
room weighs each beat by its person's gain at the beat's own time,
`room.Room.beat`; they do reach a live show that much later).
"""

from __future__ import annotations

FEATURE_LAG = 0.5  # s: the room reads each person's frame of this long ago


def lag_frames(rate: float) -> int:
    """FEATURE_LAG in control frames at `rate`."""
    return round(FEATURE_LAG * rate)


def feature_time(now: float, rate: float) -> float:
    """The show time whose frames the room reads at `now`: the frame `lag_frames` before.

    Computed on the frame grid (not `now - FEATURE_LAG`), so the live pull
    ends on exactly the frame the render reads.
    """
    return (round(now * rate) - lag_frames(rate)) / rate
