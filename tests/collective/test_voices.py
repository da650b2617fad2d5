"""Seats that never move, and voices that nobody waits for too long.

The rotation is run at the room's update rate (25 Hz) over simulated joins
and leaves; "unheard" is the time an eligible person spends without a voice.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symphony.collective.voices import SeatMap, TriggerVoices, VoiceRotation, allocate

HOP = 0.04  # room updates at 25 Hz


def test_a_newcomer_takes_the_middle_of_the_widest_free_arc() -> None:
    ring = SeatMap(circular=True)
    assert [ring.join(p) for p in "abcd"] == [0.0, 0.5, 0.25, 0.75]
    ring.leave("b")  # the back is free again; nobody moves
    assert ring.seats == {"a": 0.0, "c": 0.25, "d": 0.75}
    assert ring.join("e") == 0.5
    line = SeatMap(circular=False)
    assert [line.join(p) for p in "abc"] == [0.5, 0.25, 0.75]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 11)), max_size=60), st.booleans())
def test_seats_never_move_while_present_and_are_deterministic(
    script: list[tuple[bool, int]], circular: bool
) -> None:
    a, b = SeatMap(circular), SeatMap(circular)
    for join, k in script:
        name = f"p{k}"
        before = a.seats
        for m in (a, b):
            m.join(name) if join else m.leave(name)
        after = a.seats
        assert all(after[p] == s for p, s in before.items() if p in after)
        assert a.seats == b.seats  # bit for bit
        assert len(set(after.values())) == len(after)
        assert all(0.0 <= s < 1.0 if circular else 0.0 < s < 1.0 for s in after.values())


def test_trigger_voices_are_shared_by_the_least_busy_rule_and_never_dropped() -> None:
    voices = TriggerVoices(3)
    assert [voices.join(p) for p in "abcdefg"] == [0, 1, 2, 0, 1, 2, 0]
    voices.leave("b")
    voices.leave("e")
    assert voices.join("h") == 1  # voice 1 is the least busy now
    assert voices.voice("a") == 0  # nobody else moved
    assert [p.voice for p in allocate(5, 2)] == [0, 1, 0, 1, 0]


def run_rotation(
    rotation: VoiceRotation,
    arrivals: dict[str, float],
    departures: dict[str, float],
    duration: float,
) -> dict[str, float]:
    """Each person's longest unheard stretch while eligible (present for at least fade)."""
    unheard: dict[str, float] = {}
    longest: dict[str, float] = {}
    order = sorted(arrivals, key=lambda p: (arrivals[p], p))
    steps = int(duration / HOP)
    for k in range(steps + 1):
        t = k * HOP
        eligible = [p for p in order if arrivals[p] <= t < departures.get(p, math.inf)]
        rotation.update(t, eligible)
        heard = rotation.heard()
        assert heard <= set(eligible)
        assert len(heard) == len(set(rotation.owners()) - {None})  # one voice per person
        for p in order:
            if p in eligible and p not in heard:
                unheard[p] = unheard.get(p, t)
                longest[p] = max(longest.get(p, 0.0), t - unheard[p])
            else:
                unheard.pop(p, None)
    return longest


@pytest.mark.parametrize("voices", [1, 4, 8])
def test_three_times_more_people_than_voices_nobody_unheard_beyond_the_rotation(
    voices: int,
) -> None:
    rotation = VoiceRotation(voices, rotation=30.0, fade=2.0)
    people = 3 * voices
    arrivals = {f"p{i:02d}": 0.3 * i for i in range(people)}
    longest = run_rotation(rotation, arrivals, {}, 300.0)
    assert rotation.max_wait(people) == 30.0  # the documented bound is the rotation itself
    assert max(longest.values()) <= 30.0, longest
    assert len(longest) == people  # everyone waited at some point, and got a turn


@settings(max_examples=40, deadline=None)
@given(
    voices=st.integers(1, 6),
    ratio=st.floats(1.0, 3.0),
    rotation=st.floats(10.0, 60.0),
    fade=st.floats(0.1, 4.0),
    seed=st.integers(0, 2**16),
)
def test_rotation_bound_holds_for_any_room_up_to_three_times_the_voices(
    voices: int, ratio: float, rotation: float, fade: float, seed: int
) -> None:
    import random

    rng = random.Random(seed)
    people = max(voices, round(voices * ratio))
    arrivals = {f"p{i:02d}": rng.uniform(0.0, 5.0) for i in range(people)}
    rot = VoiceRotation(voices, rotation=rotation, fade=fade)
    longest = run_rotation(rot, arrivals, {}, 4 * rotation)
    bound = rot.max_wait(people)
    assert max(longest.values(), default=0.0) <= bound + HOP, (longest, bound)


def test_people_leaving_and_coming_back_still_get_turns_and_runs_agree() -> None:
    def run() -> tuple[dict[str, float], list[list[str | None]]]:
        rot = VoiceRotation(2, rotation=20.0, fade=1.0)
        arrivals = {f"p{i}": float(i) for i in range(6)}
        departures = {"p1": 40.0, "p4": 70.0}
        history = []
        longest = run_rotation(rot, arrivals, departures, 120.0)
        history.append(rot.owners())
        return longest, history

    first, second = run(), run()
    assert first == second  # deterministic: the same joins and leaves, the same turns
    assert max(first[0].values()) <= VoiceRotation(2, rotation=20.0, fade=1.0).max_wait(6)


def test_a_voice_whose_person_stops_being_eligible_is_released_and_refilled_after_its_fade() -> (
    None
):
    rot = VoiceRotation(1, rotation=30.0, fade=2.0)
    rot.update(0.0, ["a", "b"])
    assert rot.owners() == ["a"]
    rot.update(1.0, ["b"])  # a is gated out: the voice fades, then b takes it
    assert rot.owners() == [None] and rot.last_owners() == ["a"]
    rot.update(1.0 + 2.0 + 0.2, ["b"])
    assert rot.owners() == [None]
    rot.update(1.0 + 2.0 + 0.25, ["b"])
    assert rot.owners() == ["b"]


def test_beyond_the_rotation_turns_keep_a_minimum_and_the_bound_grows() -> None:
    rot = VoiceRotation(2, rotation=10.0, fade=1.0, min_hold=5.0)
    assert rot.max_wait(4) == 10.0
    big = rot.max_wait(40)
    assert big > 10.0
    assert rot.interval(38) == pytest.approx((5.0 + 1.5) / 2)
    arrivals = {f"p{i:02d}": 0.0 for i in range(40)}
    longest = run_rotation(rot, arrivals, {}, 400.0)
    assert max(longest.values()) <= big + HOP


@settings(max_examples=40, deadline=None)
@given(
    voices=st.integers(1, 5),
    seed=st.integers(0, 2**16),
    fade=st.floats(0.2, 3.0),
)
def test_people_coming_and_going_wait_no_longer_than_the_rotation(
    voices: int, seed: int, fade: float
) -> None:
    """Random arrivals and departures, never more than 3x as many people as voices."""
    import random

    rng = random.Random(seed)
    people = 3 * voices
    arrivals = {f"p{i:02d}": rng.uniform(0.0, 60.0) for i in range(people)}
    departures = {p: a + rng.uniform(5.0, 120.0) for p, a in arrivals.items() if rng.random() < 0.5}
    rot = VoiceRotation(voices, rotation=30.0, fade=fade)
    longest = run_rotation(rot, arrivals, departures, 200.0)
    assert max(longest.values(), default=0.0) <= 30.0, longest
