"""Did everyone count? Each person's time heard and share of influence over the show.

A person's influence at a moment is their share of the room's weight (their
gain over everyone's gains): 1/N for each of N people heard in full. Summed
over the show it is the time-weighted share of the room they held. The
Gini coefficient of those shares says how unequal the room was: 0 when
everyone held the same share over the same time, toward 1 when a few held
it all (people who arrived late or whose sensors were gated out for long
hold less, which is what the report is for).

The summary is about the room; per-person rows are given only for people
who consented to `record`, everyone else appears only in the counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class EquityRow:
    participant: str
    heard_seconds: float
    share: float  # of the show's total influence, 0..1


@dataclass(frozen=True)
class EquityReport:
    people: int
    heard_seconds_median: float
    gini: float
    rows: tuple[EquityRow, ...]  # only people who consented to record

    def summary(self) -> str:
        if self.people == 0:
            return "equity: nobody was in the room"
        return (
            f"equity: {self.people} people, heard for {self.heard_seconds_median:.0f} s "
            f"(median), influence Gini {self.gini:.2f} (0 = everyone equal)"
        )

    def details(self) -> list[str]:
        return [
            f"  {r.participant}: heard {r.heard_seconds:.0f} s, share of influence {r.share:.1%}"
            for r in self.rows
        ]


def gini(shares: Sequence[float]) -> float:
    """Gini coefficient of non-negative shares (0: all equal; NaN for nobody)."""
    x = np.sort(np.asarray(shares, dtype=np.float64))
    n = x.size
    if n == 0 or x.sum() <= 0.0:
        return float("nan") if n == 0 else 0.0
    ranks = np.arange(1, n + 1)
    return float((2.0 * np.dot(ranks, x) / (n * x.sum())) - (n + 1.0) / n)


def equity_report(
    totals: Mapping[str, Sequence[float]], may_keep: Callable[[str], bool]
) -> EquityReport:
    """From `Room.totals` (person -> [heard s, influence s]) to the report."""
    people = sorted(totals)
    heard = [float(totals[p][0]) for p in people]
    influence = np.array([float(totals[p][1]) for p in people])
    total = float(influence.sum())
    shares = influence / total if total > 0.0 else np.zeros(len(people))
    rows = tuple(
        EquityRow(p, h, float(s))
        for p, h, s in zip(people, heard, shares.tolist(), strict=True)
        if may_keep(p)
    )
    return EquityReport(
        people=len(people),
        heard_seconds_median=float(np.median(heard)) if heard else 0.0,
        gini=gini(shares.tolist()),
        rows=rows,
    )
