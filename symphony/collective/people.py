"""The latest features of the people in the room: one row each, in order of arrival.

The room reads everyone at every update, so the store is a matrix rather
than a record per person: taking in a round of frames and reading the
whole room are a few numpy operations, however many people there are. Its
rows follow the roster's order (joins append, departures remove), which is
what lets the room line gains up with values without looking anything up.

A person's value of a feature holds its last finite value (a frame that
lacks it does not erase it), and the time it first became known is kept,
so a feature that appears late (a belt put on after the pulse clip) fades
into the room like a newcomer.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

BEAT_MEMORY = 8  # recent beats kept per person for the heart-phase coherence


class PeopleStore:
    """Rows of the latest finite values of `inputs`, per person present."""

    def __init__(self, inputs: tuple[str, ...]) -> None:
        self.inputs = inputs
        self.column = {name: j for j, name in enumerate(inputs)}
        self.ids: list[str] = []
        self.row: dict[str, int] = {}
        self.values = np.zeros((0, len(inputs)))
        self.known_since = np.zeros((0, len(inputs)))
        self.beats: dict[str, list[float]] = {}

    def __contains__(self, participant: str) -> bool:
        return participant in self.row

    def join(self, participant: str) -> None:
        """A newcomer: a fresh row at the end (a returning person starts afresh too)."""
        if participant in self.row:
            self.leave([participant])
        self.row[participant] = len(self.ids)
        self.ids.append(participant)
        width = len(self.inputs)
        self.values = np.vstack([self.values, np.full((1, width), np.nan)])
        self.known_since = np.vstack([self.known_since, np.full((1, width), np.inf)])
        self.beats[participant] = []

    def leave(self, participants: list[str]) -> None:
        gone = [self.row[p] for p in participants if p in self.row]
        if not gone:
            return
        keep = np.ones(len(self.ids), dtype=bool)
        keep[gone] = False
        self.values = self.values[keep]
        self.known_since = self.known_since[keep]
        for p in participants:
            self.beats.pop(p, None)
        self.ids = [p for p, k in zip(self.ids, keep.tolist(), strict=True) if k]
        self.row = {p: i for i, p in enumerate(self.ids)}

    def take(self, participants: list[str], rows: Array, t: float) -> None:
        """Frames (len(participants), inputs) of people present; NaN keeps the old value."""
        if not participants:
            return
        idx = np.array([self.row[p] for p in participants], dtype=np.int64)
        finite = np.isfinite(rows)
        self.values[idx] = np.where(finite, rows, self.values[idx])
        since = self.known_since[idx]
        self.known_since[idx] = np.where(finite & np.isinf(since), t, since)

    def known(self, t: float, fade: float) -> Array:
        """(people, inputs): 0..1, rising over `fade` seconds from when each value was known."""
        ramp = np.clip((t - self.known_since) / fade, 0.0, 1.0)
        ramp[np.isinf(self.known_since)] = 0.0
        return ramp

    def beat(self, participant: str, time: float) -> None:
        beats = self.beats.get(participant)
        if beats is not None:
            beats.append(time)
            del beats[:-BEAT_MEMORY]
