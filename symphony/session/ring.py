"""A shared-memory ring of applied control changes, written by the engine.

The engine process may not do file I/O on its audio path, yet every change it
applies must reach the session log with the block it landed on. So its
per-block hook only writes four numbers into shared memory (a few hundred
nanoseconds), and a writer in another process drains the ring to disk.

Each entry is (block, target, value, tag). A change with a consent tag other
than 0 is stored with NaN for its value: the ring is a file in /dev/shm that
a crash can leave behind, so a private value never enters it (the session
writer asks its `resolve` what to log for such a change). Target `REBUILT`
(-1) marks the block where the engine's graph was rebuilt after a gap in the
audio (value: the gap in seconds).

Single producer (the engine hook), single consumer (the session writer). The
producer advances `written` after the entry is stored, so the consumer never
reads half an entry; if the consumer falls a whole ring behind, the lost
entries are counted, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from multiprocessing import shared_memory

import numpy as np
import numpy.typing as npt

CAPACITY = 1 << 16  # entries; ~2 minutes of a busy show between drains
REBUILT = -1  # the target of a marker entry: the graph was rebuilt at this block


@dataclass
class RingView:
    """Numpy views on the shared block: counters, blocks, targets, values, tags."""

    shm: shared_memory.SharedMemory
    counters: npt.NDArray[np.int64]  # [0] entries written, [1] blocks played
    blocks: npt.NDArray[np.int64]
    targets: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    tags: npt.NDArray[np.int64]

    @property
    def name(self) -> str:
        return self.shm.name

    def close(self) -> None:
        self.shm.close()


def _views(shm: shared_memory.SharedMemory, capacity: int) -> RingView:
    buf = shm.buf
    counters = np.ndarray((2,), dtype=np.int64, buffer=buf, offset=0)
    blocks = np.ndarray((capacity,), dtype=np.int64, buffer=buf, offset=16)
    targets = np.ndarray((capacity,), dtype=np.int64, buffer=buf, offset=16 + 8 * capacity)
    values = np.ndarray((capacity,), dtype=np.float64, buffer=buf, offset=16 + 16 * capacity)
    tags = np.ndarray((capacity,), dtype=np.int64, buffer=buf, offset=16 + 24 * capacity)
    return RingView(shm, counters, blocks, targets, values, tags)


def create_ring(capacity: int = CAPACITY) -> RingView:
    shm = shared_memory.SharedMemory(create=True, size=16 + 32 * capacity)
    view = _views(shm, capacity)
    view.counters[:] = 0
    return view


def attach_ring(name: str, capacity: int = CAPACITY) -> RingView:
    # The engine process is spawned by the creator and shares its resource
    # tracker, so attaching registers nothing new; the creator unlinks it.
    shm = shared_memory.SharedMemory(name=name)
    return _views(shm, capacity)


class RingWriter:
    """The engine's side: store one applied change; count played blocks."""

    def __init__(self, view: RingView) -> None:
        self.view = view
        self.mask = view.blocks.size - 1
        self.count = int(view.counters[0])
        self.b = view.blocks
        self.t = view.targets
        self.v = view.values
        self.g = view.tags
        self.c = view.counters

    def record(self, block: int, target: int, value: float, tag: int = 0) -> None:
        """Store one applied change; the caller passes NaN as the value when tag != 0."""
        i = self.count & self.mask
        self.b[i] = block
        self.t[i] = target
        self.v[i] = value
        self.g[i] = tag
        self.count += 1
        self.c[0] = self.count

    def played(self, blocks: int) -> None:
        self.c[1] = blocks


class RingReader:
    """The writer's side: take everything stored since the last call."""

    def __init__(self, view: RingView) -> None:
        self.view = view
        self.capacity = view.blocks.size
        self.read = 0
        self.lost = 0

    def drain(
        self,
    ) -> tuple[
        npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.int64]
    ]:
        """(blocks, targets, values, tags) stored since the last call."""
        written = int(self.view.counters[0])
        if written - self.read > self.capacity:
            self.lost += written - self.read - self.capacity
            self.read = written - self.capacity
        idx = np.arange(self.read, written) & (self.capacity - 1)
        self.read = written
        return (
            self.view.blocks[idx].copy(),
            self.view.targets[idx].copy(),
            self.view.values[idx].copy(),
            self.view.tags[idx].copy(),
        )

    def blocks_played(self) -> int:
        return int(self.view.counters[1])
