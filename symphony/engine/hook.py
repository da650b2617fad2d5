"""The per-block hook: the only Python that runs inside the audio engine.

pyo calls it before every block (``Server.setCallback``). It applies the
control changes due at this block index, and nothing else, because any Python
work here delays the audio (DESIGN.md, fact 2). Values crossing into pyo are
plain floats (fact 4). Since changes land on block boundaries, the same
schedule gives the same samples, live or offline (fact 5).

Defence in depth: a non-finite value is replaced by the target's last good
value (and reported once), values are clamped to the target's range, and the
master gain can rise no faster than the performance allows, whatever the
control side sends.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence

from symphony.engine.graph import Setter

log = logging.getLogger(__name__)


class ControlApplier:
    """Apply (target, value) pairs safely; shared by offline and realtime drivers."""

    def __init__(
        self,
        setters: Sequence[Setter],
        lows: Sequence[float],
        highs: Sequence[float],
        initial: Sequence[float],
        names: Sequence[str],
        master_index: int,
        master_rise_db_per_block: float,
    ) -> None:
        self.setters = list(setters)
        self.lows = [float(v) for v in lows]
        self.highs = [float(v) for v in highs]
        self.last_good = [float(v) for v in initial]
        self.names = list(names)
        self.master_index = master_index
        self.master_rise = float(master_rise_db_per_block)
        self.master_now = float(initial[master_index])
        self.master_target = self.master_now
        self.reported: set[int] = set()
        self.rejected = 0

    def apply(self, target: int, value: float) -> float:
        """Apply one change; return the value really applied (sanitised, clamped)."""
        v = float(value)
        if not math.isfinite(v):
            self.rejected += 1
            if target not in self.reported:
                self.reported.add(target)
                log.warning(
                    "non-finite value %r for %s replaced by last good value %g (reported once)",
                    value,
                    self.names[target],
                    self.last_good[target],
                )
            v = self.last_good[target]
        v = min(self.highs[target], max(self.lows[target], v))
        self.last_good[target] = v
        if target == self.master_index:
            self.master_target = v
            return v
        self.setters[target](v)
        return v

    def tick_master(self) -> None:
        """Move the master gain toward its target, rising no faster than allowed."""
        if self.master_now == self.master_target:
            return
        if self.master_target > self.master_now:
            self.master_now = min(self.master_target, self.master_now + self.master_rise)
        else:
            self.master_now = self.master_target
        self.setters[self.master_index](self.master_now)


class ScheduledHook:
    """Play a precomputed schedule: (block, target, value) sorted by block."""

    def __init__(
        self,
        applier: ControlApplier,
        blocks: Sequence[int],
        targets: Sequence[int],
        values: Sequence[float],
        on_block: Callable[[int], None] | None = None,
    ) -> None:
        self.applier = applier
        self.blocks = [int(b) for b in blocks]
        self.targets = [int(t) for t in targets]
        self.values = [float(v) for v in values]
        self.block = 0
        self.position = 0
        self.on_block = on_block

    def __call__(self) -> None:
        block = self.block
        i = self.position
        blocks = self.blocks
        n = len(blocks)
        if i < n and blocks[i] <= block:
            apply = self.applier.apply
            targets, values = self.targets, self.values
            while i < n and blocks[i] <= block:
                apply(targets[i], values[i])
                i += 1
            self.position = i
        self.applier.tick_master()
        if self.on_block is not None:
            self.on_block(block)
        self.block = block + 1
