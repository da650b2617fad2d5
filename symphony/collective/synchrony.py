"""Synchrony you can trust: how together the room is, and whether that could be chance.

The room samples everyone's heart rate, breathing rate, breathing phase and
heart-beat phase every `SYNC_HOP` seconds into a ring of the last
`SYNC_HISTORY` seconds, and from the last `SYNC_WINDOW` seconds computes
(`sync_stats.py`):

- `heart_rate_isc`, `breath_rate_isc`: leave-one-out inter-subject
  correlation of the rates (do people's hearts speed up and slow down
  together?), the measures concert-audience studies found robust;
- `breath_sync`, `heart_sync`: pairwise phase consistency of the breathing
  and heart-beat phases (do people breathe in at the same moment?), whose
  expectation is 0 for independent people at any N;
- for each, `X_p`: the surrogate p-value against `SURROGATES` rooms in
  which each person is shifted in time by their own random lag within the
  history (rates) or has their phases turned by their own random constant
  (phases), the null drawn again every `REFRESH_EVERY` samples and every
  new value compared with the latest null.

Nothing below `MIN_PEOPLE` people is reported: the values are neutral (0)
and p = 1, as during the first `SYNC_HISTORY` seconds. A person counts
while they are heard and known for most of the history (`MIN_KNOWN`); NaN
samples (a dropout) are simply unknown.

`convergence` is the room coming together: significant synchrony (any
measure positive with p below 0.05 after a Bonferroni correction over the
measures) held for `Convergence.hold` seconds fires one event, and the
feature stays 1 until the synchrony has been lost for `Convergence.release`.

Determinism: the sampling clock is the update time on a fixed grid and the
surrogates come from a generator seeded by the sample count, so a live show
and its render, which make the same room updates, give the same synchrony
bit for bit. Between samples the values stand; the statistics are taken at
2 Hz, and each measure's surrogates are drawn every 2.5 s and computed a
slice per room update (`Synchrony.work`), so no update carries a whole
refresh.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from symphony.collective.sync_stats import (
    isc_null,
    isc_of,
    p_value,
    ppc,
    rotation_null,
    segment_table,
    unit_phasors,
)

Array = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

SYNC_HOP = 0.5  # s between synchrony samples (the hop of the sliding window)
SYNC_WINDOW = 30.0  # s of the sliding window
WIDTH = round(SYNC_WINDOW / SYNC_HOP)
SYNC_HISTORY = 45.0  # s kept: the surrogates shift people within it
HISTORY = round(SYNC_HISTORY / SYNC_HOP)
# 219 shifts: 0.05 * (B + 1) is a whole number, so "p < 0.05" is a test of size <= 5 %.
SURROGATES = 219
REFRESH_EVERY = 5  # samples between new surrogate nulls (2.5 s); >= len(MEASURES)
MIN_PEOPLE = 3
MIN_KNOWN = 0.8  # share of the window a person must be known in to count
SIGNIFICANT = 0.05
PER_UPDATE = 22  # surrogates computed per room update: a refresh takes 10 updates (0.4 s)
SYNC_SEED = 0x5EED5  # the surrogates' generator: fixed, so renders repeat exactly


@dataclass(frozen=True)
class Measure:
    """One synchrony feature: its name, the sample column it reads, rates or phases."""

    name: str
    column: int
    kind: str  # "isc" (rates) or "ppc" (phases in cycles)


# Sample columns: heart_rate, breath_rate, breath_phase, heart phase.
MEASURES: tuple[Measure, ...] = (
    Measure("heart_rate_isc", 0, "isc"),
    Measure("breath_rate_isc", 1, "isc"),
    Measure("breath_sync", 2, "ppc"),
    Measure("heart_sync", 3, "ppc"),
)
SYNC_FEATURES: tuple[str, ...] = (
    *(m.name for m in MEASURES),
    *(f"{m.name}_p" for m in MEASURES),
    "convergence",
)


def neutral() -> dict[str, float]:
    """The values with nobody (or too few) to be together: 0, p = 1, no convergence."""
    out = {m.name: 0.0 for m in MEASURES}
    out.update({f"{m.name}_p": 1.0 for m in MEASURES})
    out["convergence"] = 0.0
    return out


@dataclass
class Convergence:
    """Significant synchrony held for `hold` s: one event; lost for `release` s: re-armed."""

    hold: float = 20.0
    release: float = 10.0
    converged: bool = False
    _since: float = math.nan  # significant since
    _lost: float = math.nan  # not significant since (while converged)

    def step(self, t: float, values: dict[str, float]) -> bool:
        """Take one sample's values; True when the room has just come together."""
        k = len(MEASURES)
        significant = any(
            values[m.name] > 0.0 and values[f"{m.name}_p"] * k < SIGNIFICANT for m in MEASURES
        )
        if significant:
            self._lost = math.nan
            if math.isnan(self._since):
                self._since = t
        else:
            self._since = math.nan
            if self.converged and math.isnan(self._lost):
                self._lost = t
        if self.converged:
            if not math.isnan(self._lost) and t - self._lost >= self.release:
                self.converged = False
            return False
        if not math.isnan(self._since) and t - self._since >= self.hold:
            self.converged = True
            return True
        return False


@dataclass
class Synchrony:
    """The sliding window of everyone's samples and the synchrony read from it."""

    seed: int = SYNC_SEED
    ids: list[str] = field(default_factory=list)
    values: dict[str, float] = field(default_factory=neutral)
    counted: dict[str, int] = field(default_factory=dict)
    convergence: Convergence = field(default_factory=Convergence)

    def __post_init__(self) -> None:
        self.ring = np.full((0, len(MEASURES), HISTORY), np.nan)
        self.samples = 0
        self._next = 0
        self._nulls: dict[str, Array] = {}
        self._jobs: dict[str, _Job] = {}

    def work(self) -> None:
        """One room update's share of the pending surrogates: `PER_UPDATE` of them.

        The room calls this at every update (25 Hz), so a refresh is spread
        over about ten updates instead of stalling one; a finished null
        replaces the old one. Tied to updates, not time, so it stays
        deterministic.
        """
        for name, job in self._jobs.items():
            null = job.step(PER_UPDATE)
            if null is not None:
                self._nulls[name] = null
                del self._jobs[name]
            return

    def due(self, t: float) -> bool:
        """Is a sample due at update time `t` (the first update at or after each grid point)?"""
        return math.floor(t / SYNC_HOP + 1e-9) >= self._next

    def presence(self) -> dict[str, float]:
        """Per feature, 1 while enough people carry it, else 0 (mappings rest then)."""
        out = {}
        for m in MEASURES:
            backed = 1.0 if self.counted.get(m.name, 0) >= MIN_PEOPLE else 0.0
            out[m.name] = out[f"{m.name}_p"] = backed
        out["convergence"] = 1.0
        return out

    def forget(self, participant: str) -> None:
        """Someone left: their row goes at once (not kept as a stale row)."""
        if participant in self.ids:
            self._align([p for p in self.ids if p != participant])

    def sample(self, t: float, ids: list[str], rows: Array, heard: BoolArray) -> bool:
        """Everyone's (heart_rate, breath_rate, breath_phase, heart phase) now.

        `rows` is (len(ids), 4), `heard` who is heard now. Returns True when
        this sample fires the `convergence` event.
        """
        self._next = math.floor(t / SYNC_HOP + 1e-9) + 1
        self._align(ids)
        col = self.samples % HISTORY
        self.ring[:, :, col] = np.where(heard[:, None], rows, np.nan)
        self.samples += 1
        self._measure(heard)
        fired = self.convergence.step(t, self.values)
        self.values["convergence"] = 1.0 if self.convergence.converged else 0.0
        return fired

    def _align(self, ids: list[str]) -> None:
        """Rows follow `ids`: newcomers get an unknown row, people gone lose theirs."""
        if ids == self.ids:
            return
        old = {p: i for i, p in enumerate(self.ids)}
        ring = np.full((len(ids), len(MEASURES), HISTORY), np.nan)
        keep = [(i, old[p]) for i, p in enumerate(ids) if p in old]
        if keep:
            new_rows, old_rows = zip(*keep, strict=True)
            ring[list(new_rows)] = self.ring[list(old_rows)]
        self.ring = ring
        self.ids = list(ids)

    def _measure(self, heard: BoolArray) -> None:
        """Each measure's value over the people who count, and its p against the null.

        Measure j draws its null again at the samples where (samples -
        HISTORY) % REFRESH_EVERY == j (computed over the next updates by
        `work`): one measure's surrogates at a time. Until a measure's first
        null is ready its p is 1.
        """
        phase = (self.samples - HISTORY) % REFRESH_EVERY
        full = self.samples >= HISTORY
        known = np.isfinite(self.ring).sum(axis=2) >= MIN_KNOWN * HISTORY  # (n, measures)
        order = (np.arange(HISTORY) + self.samples) % HISTORY  # oldest sample first
        for j, m in enumerate(MEASURES):
            who = heard & known[:, j]
            n = int(who.sum()) if full else 0
            self.counted[m.name] = n
            if n < MIN_PEOPLE:
                self.values[m.name], self.values[f"{m.name}_p"] = 0.0, 1.0
                self._nulls.pop(m.name, None)
                self._jobs.pop(m.name, None)
                continue
            history, stat = _prepared(m.kind, self.ring[who, m.column][:, order])
            observed = float(stat(history[:, -WIDTH:]))
            if phase == j or (m.name not in self._nulls and m.name not in self._jobs):
                rng = np.random.default_rng([self.seed, self.samples, j])
                self._jobs[m.name] = _Job.draw(m.kind, history, rng, n)
            null = self._nulls.get(m.name)
            self.values[m.name] = observed
            self.values[f"{m.name}_p"] = 1.0 if null is None else p_value(null, observed)


def _prepared(kind: str, series: Array) -> tuple[Any, Callable[[Any], Array]]:
    """The history as its statistic reads it (rates, or phasors), and the statistic."""
    if kind == "isc":
        return series, isc_of
    return unit_phasors(series), ppc


@dataclass
class _Job:
    """One measure's surrogates being computed, a batch per room update."""

    kind: str
    history: Any  # rates: every segment standardised (`segment_table`); phases: the window
    draws: Any  # (SURROGATES, n): time offsets (rates) or turns (phases)
    done: int = 0
    parts: list[Array] = field(default_factory=list)

    @staticmethod
    def draw(kind: str, history: Any, rng: np.random.Generator, n: int) -> _Job:
        if kind == "isc":
            offsets = rng.integers(0, HISTORY - WIDTH + 1, (SURROGATES, n))
            return _Job(kind, segment_table(history, WIDTH), offsets)
        return _Job(kind, history[:, -WIDTH:], rng.random((SURROGATES, n)))

    def step(self, count: int) -> Array | None:
        """The next `count` surrogates (`sync_stats.py`); the sorted null once all are done."""
        part = self.draws[self.done : self.done + count]
        if self.kind == "isc":
            self.parts.append(isc_null(self.history, part))
        else:
            self.parts.append(rotation_null(self.history, part))
        self.done += len(part)
        if self.done < len(self.draws):
            return None
        null: Array = np.sort(np.concatenate(self.parts))
        return null
