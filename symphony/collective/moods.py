"""Mood participants: people without sensors who send a valence and an arousal.

Each device is one participant and counts once, like anyone with a sensor:
its mood enters the room's medians with the same equal weight and the same
fades (10 s in, 1 s out when it takes its mood out). A mood is a moment, not
a setting: it decays toward neutral (0, 0) with a half-life of
`HALF_LIFE` seconds after it was sent, so a phone left in a pocket stops
steering the room, and a device silent for `FORGET_AFTER` seconds is
forgotten (removed from every statistic).

Vectorised over devices (a sanctuary's visitors' page may hold thousands):
the state is a few arrays; an update is a handful of numpy operations and
the room's nested medians (`robust.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from symphony.collective.robust import fade_median

Array = npt.NDArray[np.float64]

HALF_LIFE = 60.0  # s: a mood sent a minute ago counts half
FORGET_AFTER = 600.0  # s without a message before a device is forgotten
FADE_IN = 10.0  # s: a new device's mood fades in, as any newcomer
FADE_OUT = 1.0  # s: a device that takes its mood out is gone within a second
MOOD_FEATURES = (
    "mood_valence",
    "mood_arousal",
    "mood_valence_spread",
    "mood_arousal_spread",
    "mood_count",
)


@dataclass(frozen=True)
class MoodState:
    """The room's mood at one update."""

    values: dict[str, float]
    presence: float  # 0..1: how much of the room backs the mood values
    owners: frozenset[str]  # devices the mood values belong to when fewer than 3 are heard


_NOBODY = MoodState(
    {
        "mood_valence": math.nan,
        "mood_arousal": math.nan,
        "mood_valence_spread": math.nan,
        "mood_arousal_spread": math.nan,
        "mood_count": 0.0,
    },
    0.0,
    frozenset(),
)


class MoodRoom:
    """Every device's latest mood, decaying, faded in and out (see module docstring)."""

    def __init__(self, half_life: float = HALF_LIFE, forget_after: float = FORGET_AFTER) -> None:
        self.half_life = float(half_life)
        self.forget_after = float(forget_after)
        self.ids: list[str] = []
        self.index: dict[str, int] = {}
        self.valence = np.zeros(0)
        self.arousal = np.zeros(0)
        self.sent = np.zeros(0)  # time of each device's last mood
        self.gain = np.zeros(0)
        self.leaving = np.zeros(0, dtype=bool)
        self.last_t = -math.inf

    def __len__(self) -> int:
        return len(self.ids)

    def set(self, device: str, valence: float, arousal: float, t: float) -> None:
        """A device's new mood (valence, arousal in -1..1, already validated)."""
        row = self.index.get(device)
        if row is None:
            row = self._add(device)
        self.valence[row] = valence
        self.arousal[row] = arousal
        self.sent[row] = t
        self.leaving[row] = False

    def leave(self, device: str) -> None:
        """The device takes its mood out: it fades out within FADE_OUT and is forgotten."""
        row = self.index.get(device)
        if row is not None:
            self.leaving[row] = True

    def _add(self, device: str) -> int:
        row = len(self.ids)
        self.ids.append(device)
        self.index[device] = row
        self.valence = np.append(self.valence, 0.0)
        self.arousal = np.append(self.arousal, 0.0)
        self.sent = np.append(self.sent, -math.inf)
        self.gain = np.append(self.gain, 0.0)
        self.leaving = np.append(self.leaving, False)
        return row

    def update(self, t: float) -> MoodState:
        """Fade, decay and summarise; devices that left or went silent are removed."""
        dt = 0.0 if self.last_t == -math.inf else max(0.0, t - self.last_t)
        self.last_t = t
        if not self.ids:
            return _NOBODY
        silent = (t - self.sent) > self.forget_after
        going = self.leaving | silent
        rate = np.where(going, -1.0 / FADE_OUT, 1.0 / FADE_IN)
        self.gain = np.clip(self.gain + rate * dt, 0.0, 1.0)
        self._drop(going & (self.gain <= 0.0))
        decay = np.exp2(-np.maximum(t - self.sent, 0.0) / self.half_life)
        valence, v_spread, presence = fade_median(self.valence * decay, self.gain)
        arousal, a_spread, _ = fade_median(self.arousal * decay, self.gain)
        mass = float(self.gain.sum())
        values = {
            "mood_valence": valence,
            "mood_arousal": arousal,
            "mood_valence_spread": v_spread,
            "mood_arousal_spread": a_spread,
            "mood_count": mass,
        }
        owners: frozenset[str] = frozenset()
        if 0.0 < mass < 3.0:
            owners = frozenset(self.ids[i] for i in np.flatnonzero(self.gain > 0.0))
        return MoodState(values, presence, owners)

    def _drop(self, gone: npt.NDArray[np.bool_]) -> None:
        if not gone.any():
            return
        keep = ~gone
        self.ids = [d for d, k in zip(self.ids, keep.tolist(), strict=True) if k]
        self.index = {d: i for i, d in enumerate(self.ids)}
        self.valence = self.valence[keep]
        self.arousal = self.arousal[keep]
        self.sent = self.sent[keep]
        self.gain = self.gain[keep]
        self.leaving = self.leaving[keep]
