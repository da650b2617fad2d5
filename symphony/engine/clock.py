"""The engine's audio clock, in shared memory: is the sound really advancing?

A watchdog must not believe a timer thread: only the audio blocks say that
sound is being made. So the engine's per-block hook writes two plain floats
per block into a small shared array (blocks played, and the monotonic time
of that block; `time.monotonic` is CLOCK_MONOTONIC, one clock for every
process of the machine), and its main thread writes its state (starting,
playing, audio lost) and counts graph rebuilds. Any process that holds the
array reads it without a lock or a system call: `EngineClock.blocks()`,
`last_block_age()`, `advancing()`. The array is made by the control process
and handed to every engine process it starts, so the count goes on across
rebuilds and engine restarts (the session log's block indices with it).

It lives in a `multiprocessing` heap arena, whose file is unlinked as soon as
it is made: a crash leaves nothing in /dev/shm.
"""

from __future__ import annotations

import math
import time
from typing import Any

BLOCKS = 0  # blocks played since the show began
LAST = 1  # time.monotonic() when the last block was computed
STATE = 2  # STARTING, PLAYING or LOST
REBUILDS = 3  # graphs built after the first (server back, or engine restarted)
LOST_AT = 4  # time.monotonic() when the audio was last lost (nan: never)
SLOTS = 5

STARTING = 0.0  # loading, or waiting for the audio server or device
PLAYING = 1.0
LOST = 2.0  # the server or device went away; retrying
STATE_NAMES = {STARTING: "starting", PLAYING: "playing", LOST: "lost"}


def clock_array(ctx: Any) -> Any:
    """A fresh shared array for `EngineClock` (lock-free: one writer per slot)."""
    array = ctx.Array("d", SLOTS, lock=False)
    array[LOST_AT] = math.nan
    return array


class EngineClock:
    """Read (or, in the engine, write) the engine's shared clock."""

    def __init__(self, array: Any) -> None:
        self.array = array

    def blocks(self) -> int:
        """Audio blocks played since the show began."""
        return int(self.array[BLOCKS])

    def last_block_at(self) -> float:
        """`time.monotonic()` of the last block (0.0 before the first)."""
        return float(self.array[LAST])

    def last_block_age(self, now: float | None = None) -> float:
        """Seconds since the last audio block (inf before the first)."""
        last = self.array[LAST]
        if last <= 0.0:
            return math.inf
        return (time.monotonic() if now is None else now) - last

    def advancing(self, within: float = 0.5, now: float | None = None) -> bool:
        """Whether audio blocks were made in the last `within` seconds."""
        return self.last_block_age(now) <= within

    @property
    def state(self) -> str:
        return STATE_NAMES.get(self.array[STATE], "unknown")

    @property
    def rebuilds(self) -> int:
        return int(self.array[REBUILDS])

    def lost_at(self) -> float:
        return float(self.array[LOST_AT])

    def set_state(self, state: float) -> None:
        if state == LOST:
            self.array[LOST_AT] = time.monotonic()
        self.array[STATE] = state
