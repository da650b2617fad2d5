"""Hearing safety in the room: a rolling LAeq estimate that turns the master down in time.

A dBFS ceiling does not bound what people hear; the sound pressure in the
room does. The venue calibration (`[sanctuary] calibration_db_a`, measured
once with a sound level meter while `symphony calibrate-room` plays its
reference at `reference_lufs`) turns the engine's own loudness meter
(`engine.levels`: K-weighted short-term power of the master, BS.1770) into
an SPL estimate: SPL = calibration + (LUFS - reference). K-weighting is not
A-weighting, but for the broadband beds a sanctuary plays the two agree
within a few dB; the guard's margin covers that. Uncalibrated, the player
assumes `UNCALIBRATED_DB_A` at the reference: a loud room, so it errs safe.

`LaeqGuard` keeps the energy mean of one estimate per second over the
house window (15 min by default) and, once that LAeq comes within `WATCH_DB`
of the limit, caps the master so that the room's level stays `MARGIN_DB`
under the limit: the LAeq cannot then reach it. The cap falls at most
`FALL_DB_PER_S` and rises at most `RISE_DB_PER_S`, so nobody hears it move.
Pure arithmetic on floats: the player calls `update` once a second.
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass, field

from symphony.sanctuary.spec import SILENCE_DB, SanctuarySpec

UNCALIBRATED_DB_A = 85.0  # assumed SPL of the reference in an uncalibrated room
WATCH_DB = 6.0  # start capping when the LAeq is this close to the limit
MARGIN_DB = 3.0  # hold the room this far under the limit
FALL_DB_PER_S = 1.0
RISE_DB_PER_S = 0.2


def spl_of(lufs: float, spec: SanctuarySpec) -> float:
    """The estimated dB(A) SPL at the listening position for a master loudness."""
    calibration = UNCALIBRATED_DB_A if spec.calibration_db_a is None else spec.calibration_db_a
    return calibration + (lufs - spec.reference_lufs)


@dataclass
class LaeqGuard:
    """Rolling LAeq over the house window, and the master cap that keeps it under the limit."""

    spec: SanctuarySpec
    samples: collections.deque[float] = field(default_factory=collections.deque)
    energy: float = 0.0  # sum of 10^(L/10) over `samples`
    cap_db: float = 0.0
    level: float = -math.inf  # the last SPL estimate

    def __post_init__(self) -> None:
        self.window = max(1, round(self.spec.laeq_minutes * 60.0))

    @property
    def limit(self) -> float:
        return self.spec.house_limit_db_laeq

    @property
    def laeq(self) -> float:
        """The energy mean of the window so far (silence before the show counts as silence)."""
        if not self.samples:
            return -math.inf
        mean = self.energy / self.window
        return 10.0 * math.log10(mean) if mean > 0.0 else -math.inf

    def update(self, lufs: float, seconds: float = 1.0) -> float:
        """One estimate per second: the master's short-term loudness (LUFS, -inf: silence).
        Returns the master cap (dB, <= 0)."""
        level = spl_of(lufs, self.spec) if math.isfinite(lufs) else -math.inf
        self.level = level
        power = 10.0 ** (level / 10.0) if math.isfinite(level) else 0.0
        self.samples.append(power)
        self.energy += power
        while len(self.samples) > self.window:
            self.energy -= self.samples.popleft()
        self.energy = max(0.0, self.energy)
        target = 0.0
        if self.laeq > self.limit - WATCH_DB and math.isfinite(level):
            uncapped = level - self.cap_db  # what the room would hear without the cap
            target = min(0.0, self.limit - MARGIN_DB - uncapped)
        if target < self.cap_db:
            self.cap_db = max(target, self.cap_db - FALL_DB_PER_S * seconds)
        else:
            self.cap_db = min(target, self.cap_db + RISE_DB_PER_S * seconds)
        self.cap_db = max(SILENCE_DB, self.cap_db)
        return self.cap_db
