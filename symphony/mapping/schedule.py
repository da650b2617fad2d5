"""Control schedules: which value goes to which target at which audio block.

The engine applies control changes only at block boundaries, so a show is
fully described, for the engine, by a list of (block, target, value). This
module turns frame-rate parameter values and event times into that list.
Only changes are kept (a value equal to the last one sent is dropped), which
keeps the per-block hook nearly idle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from symphony.collective.voices import Placement
from symphony.mapping.layout import VoiceTargets

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass
class Schedule:
    """(block, target, value) triples sorted by block; ties keep insertion order."""

    blocks: IntArray
    targets: IntArray
    values: Array

    @staticmethod
    def empty() -> Schedule:
        return Schedule(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))

    def __len__(self) -> int:
        return int(self.blocks.size)

    @staticmethod
    def merge(parts: Sequence[Schedule]) -> Schedule:
        if not parts:
            return Schedule.empty()
        blocks = np.concatenate([p.blocks for p in parts])
        order = np.argsort(blocks, kind="stable")
        return Schedule(
            blocks[order],
            np.concatenate([p.targets for p in parts])[order],
            np.concatenate([p.values for p in parts])[order],
        )


def time_to_block(times: Array, sample_rate: float, block_size: int) -> IntArray:
    """The block whose start is at or before each time (seconds)."""
    samples = np.floor(np.asarray(times, dtype=np.float64) * sample_rate + 1e-6)
    return (samples // block_size).astype(np.int64)


def frames_to_schedule(
    values: Array,
    target_indices: Sequence[int],
    times: Array,
    sample_rate: float,
    block_size: int,
    previous: Sequence[float],
) -> Schedule:
    """Changes of frame-rate values, one per block at most (the latest wins).

    `previous` holds the value each row had before these frames, so a change
    is only sent when the value really moves.
    """
    blocks = time_to_block(times, sample_rate, block_size)
    if blocks.size == 0:
        return Schedule.empty()
    last_in_block = np.ones(blocks.size, dtype=bool)
    last_in_block[:-1] = blocks[1:] != blocks[:-1]
    b = blocks[last_in_block]
    parts = []
    for row, target in enumerate(target_indices):
        v = values[row, last_in_block]
        before = np.concatenate(([previous[row]], v[:-1]))
        changed = v != before
        n = int(changed.sum())
        if n:
            parts.append(Schedule(b[changed], np.full(n, target, np.int64), v[changed]))
    return Schedule.merge(parts)


def events_to_schedule(
    event_times: Sequence[Array],
    velocities: Sequence[Array],
    placements: Sequence[Placement],
    voices: Sequence[VoiceTargets],
    sample_rate: float,
    block_size: int,
) -> Schedule:
    """Per-participant event times to (pan, velocity, fire) changes on their voice."""
    blocks, targets, values = [], [], []
    for times, vel, place in zip(event_times, velocities, placements, strict=True):
        if len(times) == 0:
            continue
        voice = voices[place.voice]
        b = time_to_block(np.asarray(times), sample_rate, block_size)
        n = b.size
        blocks.append(np.repeat(b, 3))
        targets.append(np.tile(np.array([voice.pan, voice.velocity, voice.fire]), n))
        triple = np.stack([np.full(n, place.pan), np.asarray(vel, np.float64), np.ones(n)], axis=1)
        values.append(triple.reshape(-1))
    if not blocks:
        return Schedule.empty()
    return Schedule.merge(
        [
            Schedule(np.concatenate(blocks), np.concatenate(targets), np.concatenate(values)),
        ]
    )


def changes_to_schedule(
    timed: Sequence[tuple[float, Sequence[tuple[int, float]]]], sample_rate: float, block_size: int
) -> Schedule:
    """(time, [(target, value), ...]) in time order -> changes at each time's block."""
    blocks, targets, values = [], [], []
    for t, changes in timed:
        block = int(time_to_block(np.array([t]), sample_rate, block_size)[0])
        for target, value in changes:
            blocks.append(block)
            targets.append(target)
            values.append(value)
    return Schedule.merge(
        [
            Schedule(
                np.array(blocks, dtype=np.int64),
                np.array(targets, dtype=np.int64),
                np.array(values, dtype=np.float64),
            )
        ]
    )
