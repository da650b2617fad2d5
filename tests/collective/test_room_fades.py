"""The room over time: joins, departures and returns move the collective only as fast as fades.

Stepped at the room's own hop on synthetic frames (the room is pure: no
device, no clock). A person with a value far from the others joins, goes
silent (stale), is gone after 5 s, fades out, leaves the roster and every
statistic, and comes back: at no update may the median move more than one
fade step of that person's full influence, and after they left the room is
exactly the room without them.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from symphony.collective.robust import LEVELS
from symphony.collective.room import INPUTS, ROOM_HOP, Room
from symphony.collective.roster import Fades

HR = INPUTS.index("heart_rate")
Q = INPUTS.index("quality")


def _row(hr: float) -> np.ndarray:
    row = np.full(len(INPUTS), math.nan)
    row[HR] = hr
    row[Q] = 1.0
    return row


def _run(others: list[float], odd: float, script: list[tuple[float, str]]) -> tuple[list, Room]:
    """Heart-rate median at every update; `script`: (time, 'in' | 'silent') for person 'odd'."""
    room = Room()
    out = []
    state = "out"
    events = list(script)
    t = 0.0
    end = events[-1][0] + 15.0
    while t < end:
        while events and events[0][0] <= t:
            state = events.pop(0)[1]
        for i, hr in enumerate(others):
            room.observe_row(f"p{i:02d}", _row(hr), False, t)
        if state == "in":
            room.observe_row("odd", _row(odd), False, t)
        elif state == "silent":
            room.observe_row("odd", _row(odd), True, t)
        frame = room.update(t)
        out.append((t, frame.values["heart_rate"], [p.participant for p in frame.people]))
        t = round(t + ROOM_HOP, 9)
    return out, room


@settings(max_examples=8, deadline=None)
@given(
    st.lists(st.floats(50, 100), min_size=2, max_size=9),
    st.floats(30, 200),
    st.floats(15, 30),
)
def test_leaving_and_rejoining_never_jumps_beyond_the_fades(
    others: list[float], odd: float, away: float
) -> None:
    script = [(0.0, "in"), (40.0, "silent"), (40.0 + away, "in")]
    series, _ = _run(others, odd, script)
    settled = [v for t, v, _ in series if t > 35.0 and t < 40.0]
    without = float(np.median(others))
    reach = abs(settled[-1] - without)  # what the person moves the median, fully in
    fades = Fades()
    fastest = min(fades.join, fades.out, fades.back)
    # One update moves a fade weight by at most ROOM_HOP / fastest fade, rounded onto the
    # 1/LEVELS grid, and the median by at most that share of the person's reach.
    step = (math.ceil(ROOM_HOP / fastest * LEVELS) + 1) / LEVELS * reach
    values = [v for t, v, _ in series if t >= 12.0]  # once the others are all in
    jumps = np.abs(np.diff(values))
    assert np.all(jumps <= step + 1e-9), (jumps.max(), step)
    gone = [v for t, v, who in series if 40.0 + 11.0 < t < 40.0 + away and "odd" not in who]
    assert gone, "the person must leave the roster while away"
    assert all(v == without for v in gone)  # removed from every statistic, not a stale row


def test_a_person_who_leaves_is_removed_from_roster_and_statistics() -> None:
    series, room = _run([60.0, 70.0, 80.0], 150.0, [(0.0, "in"), (30.0, "silent"), (62.0, "in")])
    at = {round(t, 2): (v, who) for t, v, who in series}
    assert "odd" in at[29.0][1] and at[29.0][0] == 75.0  # median of 60, 70, 80, 150
    assert "odd" not in at[60.0][1] and at[60.0][0] == 70.0
    assert "odd" in room.store  # back at 62 s
