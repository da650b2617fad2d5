"""The EEG band powers as frame features: every band held and glided in one pass.

Each band's share of the EEG power (`eeg.py`) is a per-person feature
(`delta` ... `gamma`, 0..1). Like every feature it holds its last value and
glides toward neutral while the EEG is bad; neutral for a share is an equal
share of the bands. All bands of all participants go through one
`glide_rows` call, on rows (participant, band), instead of one call per band:
the frame stage runs at the control rate for every participant.
"""

from __future__ import annotations

import numpy as np

from symphony.features.combine import glide_rows, new_hold_state
from symphony.features.eeg import BAND_NAMES
from symphony.features.stream import Array, BoolArray, IntArray
from symphony.features.track import FeatureInfo

BAND_FEATURES: dict[str, FeatureInfo] = {
    name: FeatureInfo(name, "", 0, 1, f"share of the EEG power in the {name} band")
    for name in BAND_NAMES
}
_B = len(BAND_NAMES)


class BandHolds:
    """Hold-and-glide state of every band of every participant (row = person * bands + band)."""

    def __init__(self, decay: float, back: float) -> None:
        self.decay, self.back = decay, back
        self.cap = 0
        self.hold = new_hold_state(0)

    def grow(self, cap: int) -> None:
        fresh = new_hold_state(cap * _B)
        for key, v in self.hold.items():
            fresh[key][: v.size] = v
        self.hold, self.cap = fresh, cap

    def glide(
        self, rows: IntArray, k0: IntArray, shares: dict[str, Array], good: BoolArray
    ) -> dict[str, Array]:
        """Each band's feature for participants `rows`, frames k0.. (rows, n)."""
        r, n = good.shape
        idx = (rows[:, None] * _B + np.arange(_B)).reshape(-1)
        value = np.stack([shares[f"eeg_{name}"] for name in BAND_NAMES], axis=1).reshape(r * _B, n)
        ok = np.repeat(good, _B, axis=0)
        goal = np.full((r * _B, n), 1.0 / _B)
        hold = {key: v[idx] for key, v in self.hold.items()}
        out = glide_rows(value, ok, goal, np.repeat(k0, _B), self.decay, self.back, hold)
        for key, v in hold.items():
            self.hold[key][idx] = v
        out = out.reshape(r, _B, n)
        return {name: out[:, i] for i, name in enumerate(BAND_NAMES)}
