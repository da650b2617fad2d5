"""What the sensors themselves say about contact: device hints into EEG quality.

Headsets report whether they sit on the head (Mind Monitor's
`touching_forehead` -> hint `headset_on`) and how each electrode touches the
skin (`horseshoe` -> hints `contact_TP9` ... 1.0 good, 0.5 ok, 0.0 bad; see
`inputs/sources/osc_paths.py`). The signal alone learns of a lifted headset
only after its filters have seen seconds of nonsense; the device knows at
once. So a participant's EEG quality is capped, from the moment a hint
arrives, by what the hints say: 0 with the headset off, else the mean
contact of the electrodes (one bad electrode of four: at most 0.75).
Hints are remembered per participant until the device says otherwise.
"""

from __future__ import annotations

import numpy as np

from symphony.features.stream import Array, IntArray

CONTACT_PREFIX = "contact_"
HEADSET_ON = "headset_on"


def contact_cap(hints: dict[str, float]) -> float:
    """The highest EEG quality these (latest known) hints allow, 0..1."""
    if HEADSET_ON in hints and not hints[HEADSET_ON] > 0.5:
        return 0.0
    contacts = [v for k, v in hints.items() if k.startswith(CONTACT_PREFIX)]
    if not contacts:
        return 1.0
    return float(min(1.0, max(0.0, sum(contacts) / len(contacts))))


class ContactBook:
    """Per participant: the latest hints, and the cap they put on EEG quality from frame k on."""

    def __init__(self) -> None:
        self.known: dict[int, dict[str, float]] = {}
        self.cap = np.ones(0)  # cap in force after every change already applied
        self.last = np.ones(0)  # cap after every change noted (applied or pending)
        self.pending: dict[int, list[tuple[int, float]]] = {}

    def grow(self, cap: int) -> None:
        for name in ("cap", "last"):
            old = getattr(self, name)
            new = np.ones(cap)
            new[: old.size] = old
            setattr(self, name, new)

    def note(self, member: int, hints: dict[str, float], k: int) -> None:
        """Hints that arrived with the samples from frame `k` on."""
        relevant = {
            key: float(v)
            for key, v in hints.items()
            if key == HEADSET_ON or key.startswith(CONTACT_PREFIX)
        }
        if not relevant:
            return
        known = self.known.setdefault(member, {})
        known.update(relevant)
        cap = contact_cap(known)
        if cap != self.last[member]:
            self.last[member] = cap
            self.pending.setdefault(member, []).append((k, cap))

    def caps(self, rows: IntArray, k0: IntArray, n: int) -> Array | None:
        """The cap at frames k0.. of participants `rows` (rows, n); None when all are 1."""
        if not self.pending and not (self.cap[rows] < 1.0).any():
            return None
        out = np.repeat(self.cap[rows][:, None], n, axis=1)
        for i, r in enumerate(rows.tolist()):
            events = self.pending.get(r)
            if not events:
                continue
            end = int(k0[i]) + n
            for k, cap in [e for e in events if e[0] < end]:
                out[i, max(k - int(k0[i]), 0) :] = cap
                self.cap[r] = cap
            rest = [e for e in events if e[0] >= end]
            if rest:
                self.pending[r] = rest
            else:
                del self.pending[r]
        return out
