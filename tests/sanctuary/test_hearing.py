"""The house limit: the rolling LAeq estimate and the master cap that keeps it under.

Pure arithmetic, so the test runs an hour of one-second estimates through
`LaeqGuard` with the room's response modelled as "what the master plays,
minus the cap" (the player measures it with the engine's meter instead).
"""

from __future__ import annotations

import itertools
import math

from symphony.sanctuary.hearing import LaeqGuard, spl_of
from symphony.sanctuary.spec import SanctuarySpec


def test_calibration_turns_loudness_into_spl() -> None:
    spec = SanctuarySpec(calibration_db_a=72.0, reference_lufs=-23.0)
    assert spl_of(-23.0, spec) == 72.0
    assert spl_of(-13.0, spec) == 82.0


def run(guard: LaeqGuard, show_lufs: float, seconds: int) -> list[tuple[float, float]]:
    out = []
    for _ in range(seconds):
        played = show_lufs + guard.cap_db  # the cap turns the master (and the room) down
        guard.update(played)
        out.append((guard.laeq, guard.cap_db))
    return out


def test_a_loud_show_is_turned_down_before_the_limit() -> None:
    spec = SanctuarySpec(calibration_db_a=80.0, reference_lufs=-23.0, house_limit_db_laeq=85.0)
    guard = LaeqGuard(spec)
    trace = run(guard, -10.0, 3600)  # 93 dB(A) uncapped: far over the limit
    laeqs = [laeq for laeq, _ in trace]
    assert max(laeqs) < 85.0
    caps = [cap for _, cap in trace]
    assert caps[0] == 0.0 and caps[-1] < -8.0  # it acted, and only when needed
    steps = [abs(a - b) for a, b in itertools.pairwise(caps)]
    assert max(steps) <= 1.0 + 1e-9  # smoothly


def test_a_quiet_show_is_left_alone_and_silence_counts() -> None:
    spec = SanctuarySpec(calibration_db_a=60.0)
    guard = LaeqGuard(spec)
    trace = run(guard, -23.0, 1800)
    assert all(cap == 0.0 for _, cap in trace)
    assert math.isclose(trace[-1][0], 60.0, abs_tol=0.01)
    guard.update(-math.inf)
    assert guard.laeq < 60.0
