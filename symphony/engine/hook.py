"""The per-block hook: the only Python that runs inside the audio engine.

pyo calls it before every block (``Server.setCallback``). It applies the
control changes due at this block index, and nothing else but plain-float
bookkeeping (the audio clock, the level tap), because any Python
work here delays the audio (docs/architecture.md, fact 2). Values crossing into pyo are
plain floats (fact 4). Since changes land on block boundaries, the same
schedule gives the same samples, live or offline (fact 5).

Two hooks share the `ControlApplier`: `ScheduledHook` plays a precomputed
schedule (render), `LaneHook` applies what arrives on the engine's lanes
(live, play) and keeps the engine's audio clock.

Defence in depth: a non-finite value is replaced by the target's last good
value (and reported once), values are clamped to the target's range, and the
master gain can rise no faster than the performance allows, whatever the
control side sends.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

from symphony.engine.clock import BLOCKS, LAST
from symphony.engine.graph import Setter
from symphony.engine.lanes import LaneReader
from symphony.engine.thread_state import keep_thread_state
from symphony.session.ring import REBUILT, RingWriter

log = logging.getLogger(__name__)
MAX_CHANGES_PER_BLOCK = 512  # per lane: bounded work per block, whatever floods a lane
NAN = math.nan


def _ignore(_value: float) -> None:
    """The setter of every target while the engine has no graph (between two builds)."""


class ControlApplier:
    """Apply (target, value) pairs safely; shared by offline and realtime drivers.

    It also holds the engine's control state outside pyo: every target's last
    applied value (`last_good`) and the master gain's position on its slew
    (`master_now`, `master_target`). pyo objects die with their server (when
    the JACK server goes away), so a rebuilt graph starts from
    `resume_values()` and the same applier is `rebind`-ed to its setters.
    """

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

    def detach(self) -> None:
        """No graph (the server is gone): keep taking changes into the state only."""
        self.setters = [_ignore] * len(self.setters)

    def rebind(self, setters: Sequence[Setter]) -> None:
        """Drive a newly built graph; the state (values, master slew) carries on."""
        if len(setters) != len(self.last_good):
            raise ValueError(f"{len(setters)} setters for {len(self.last_good)} targets")
        self.setters = list(setters)

    def resume_values(self) -> list[float]:
        """The values to build a graph with so that it sounds as the last one did."""
        values = list(self.last_good)
        values[self.master_index] = self.master_now
        return values

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


class LaneHook:
    """Realtime per-block hook: apply what arrived on the lanes, tick the master, count.

    The lanes (engine.lanes) are read without waiting: one `poll` system
    call per block when nothing came, and the control lane before the MIDI
    lane, so within one block the performer's move has the last word. With a
    session ring, each applied change is stored with its block index and
    consent tag (shared memory only: the file is written by another process),
    and a tagged change is stored as NaN, at the cost of one int compare.
    Every block it writes the block count and its time into the engine's
    clock (engine.clock), and runs the level tap.

    The block count goes on across graph rebuilds (`rebound`) and engine
    restarts (`first_block`), so block indices in the session log only grow.
    """

    def __init__(
        self,
        applier: ControlApplier,
        lanes: LaneReader,
        clock: Any,
        ring: RingWriter | None = None,
        levels: Callable[[], None] | None = None,
        first_block: int = 0,
    ) -> None:
        self.applier = applier
        self.lanes = lanes
        self.clock = clock  # the engine clock's shared array
        self.ring = ring
        self.levels = levels  # the output level tap (symphony.engine.levels)
        self.block = first_block
        self.fresh = True  # the next block runs on a new audio thread
        self.record = ring.record if ring is not None else None
        self.monotonic = time.monotonic

    def __call__(self) -> None:
        if self.fresh:
            keep_thread_state()  # no thread state built and torn down per block (see module)
            self.fresh = False
        block = self.block
        if self.lanes.poll():
            self.lanes.drain(self._apply, MAX_CHANGES_PER_BLOCK)
        self.applier.tick_master()
        block += 1
        self.block = block
        clock = self.clock
        clock[BLOCKS] = block
        clock[LAST] = self.monotonic()
        if self.ring is not None:
            self.ring.played(block)
        if self.levels is not None:
            self.levels()

    def _apply(self, target: int, value: float, tag: int) -> None:
        applied = self.applier.apply(target, value)
        record = self.record
        if record is not None:
            record(self.block, target, applied if tag == 0 else NAN, tag)

    def rebound(self, applier: ControlApplier, levels: Callable[[], None] | None) -> None:
        """A new graph (and audio thread) from the next block on."""
        self.applier = applier
        self.levels = levels
        self.fresh = True

    def mark_rebuilt(self, gap_seconds: float) -> None:
        """Log that the graph was built anew at this block (engine not playing)."""
        if self.record is not None:
            self.record(self.block, REBUILT, float(gap_seconds), 0)

    def drain_between(self, events: frozenset[int]) -> int:
        """While there is no graph: take the lanes' changes into the state, at this block.

        Called by the engine's main thread only while no audio thread runs.
        Triggers are dropped (a heartbeat during silence is not played late);
        values land in the applier's state and the ring, at the block the next
        graph starts on, which is where a re-render applies them too.
        """
        if not self.lanes.poll():
            return 0

        def apply(target: int, value: float, tag: int) -> None:
            if target not in events:
                self._apply(target, value, tag)

        return self.lanes.drain(apply, MAX_CHANGES_PER_BLOCK)
