"""Which parameter lanes carry someone's own data, and for how long.

A collective value over fewer than 3 people is their value (`room.py`
reports whose, as `owners`). A mapping that follows such a value makes its
parameter's lane their data too, and the lane remembers it for a while: the
mapping's smoothing (a one-pole of `smoothing` seconds) still carries a
fraction exp(-age / smoothing) of it. So a lane is *personal* from the
first update a feature it follows is owned until `MEMORY_TAUS` smoothing
times (plus `MEMORY_EXTRA` seconds) after the last: by then less than 1 %
of it is left in the lane.

Two uses, one rule:

- `unkept_lanes` (render, vectorised over frames): lanes that followed a
  value owned by someone without `record` consent. A render writes a file,
  so those lanes play their *public* version instead: the same conductor
  with every personally owned feature unknown (`public_features`), i.e.
  the scenes, the performer and whatever the room as a whole (3 or more
  people) decides.
- `LaneOwners` (live, one frame at a time): the same decision for the
  session log, plus who the personal lanes belong to, so a later withdrawal
  of `record` can delete exactly their entries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from symphony.performance.schema import MappingSpec

Array = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MEMORY_TAUS = 5.0  # smoothing times a lane remembers a value (exp(-5) < 1 %)
MEMORY_EXTRA = 1.0  # s: and a little longer, for unsmoothed mappings and the last frames


def memory(spec: MappingSpec) -> float:
    """Seconds a mapping's lane remembers what it followed."""
    return MEMORY_TAUS * spec.smoothing + MEMORY_EXTRA


def public_features(
    values: Mapping[str, Array], owned: Mapping[str, BoolArray]
) -> dict[str, Array]:
    """Collective values with every personally owned frame unknown (NaN)."""
    out = {}
    for name, v in values.items():
        mask = owned.get(name)
        out[name] = v if mask is None or not mask.any() else np.where(mask, np.nan, v)
    return out


def _remembered(flags: BoolArray, times: Array, seconds: float) -> BoolArray:
    """True from each flagged frame until `seconds` after the last flagged one."""
    idx = np.where(flags, np.arange(flags.size), -1)
    last = np.maximum.accumulate(idx) if flags.size else idx
    seen = last >= 0
    age = times - times[np.maximum(last, 0)]
    return seen & (age <= seconds)


def unkept_lanes(
    mappings: Sequence[MappingSpec],
    targets: Sequence[str],
    unkept: Mapping[str, BoolArray],
    times: Array,
) -> BoolArray:
    """(targets, frames): lanes that follow a value someone did not consent to keep."""
    out = np.zeros((len(targets), times.size), dtype=bool)
    row = {name: i for i, name in enumerate(targets)}
    for m in mappings:
        feature = m.source.split(".", 1)[1]
        flags = unkept.get(feature)
        if flags is None or not flags.any():
            continue
        out[row[m.target]] |= _remembered(flags, times, memory(m))
    return out


class LaneOwners:
    """Live: whose data each lane carries now (see module docstring)."""

    def __init__(self, mappings: Sequence[MappingSpec], targets: Sequence[str]) -> None:
        row = {name: i for i, name in enumerate(targets)}
        self.mappings = [(m.source.split(".", 1)[1], row[m.target], memory(m)) for m in mappings]
        # per mapping: person -> the last time they owned what it follows
        self.last: list[dict[str, float]] = [{} for _ in self.mappings]

    def update(self, t: float, owners: Mapping[str, frozenset[str]]) -> None:
        """Note the room's owners at an update (called at every room update)."""
        for i, (feature, _row, _mem) in enumerate(self.mappings):
            for person in owners.get(feature, ()):
                self.last[i][person] = t

    def of_rows(self, t: float) -> dict[int, frozenset[str]]:
        """Rows that are personal at `t`, with the people they belong to."""
        out: dict[int, set[str]] = {}
        for i, (_feature, row, mem) in enumerate(self.mappings):
            seen = self.last[i]
            if not seen:
                continue
            people = {p for p, when in seen.items() if t - when <= mem}
            for p in [p for p, when in seen.items() if t - when > mem]:
                del seen[p]
            if people:
                out.setdefault(row, set()).update(people)
        return {row: frozenset(people) for row, people in out.items()}

    def forget(self, person: str) -> None:
        for seen in self.last:
            seen.pop(person, None)
