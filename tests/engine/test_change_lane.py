"""The MIDI hot path into the engine: a pipe written by the MIDI thread itself.

Real pipes and a real multiprocessing queue; the setters are plain
callables recording what the hook applies (no audio is needed to see the
order).
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import time

import pytest

from symphony.engine.hook import ControlApplier
from symphony.engine.realtime import ChangeLane, QueueHook


def _applier(applied: list[tuple[int, float]], n: int = 4) -> ControlApplier:
    setters = [lambda v, i=i: applied.append((i, v)) for i in range(n)]
    return ControlApplier(
        setters, [0.0] * n, [1.0] * n, [0.0] * n, [f"t{i}" for i in range(n)], 0, 1.0
    )


def test_changes_cross_the_lane_in_order() -> None:
    reader, writer = mp.get_context("spawn").Pipe(duplex=False)
    lane = ChangeLane(writer)
    for change in [(1, 0.25), (2, 0.5), (3, 1.0)]:
        lane.put_nowait(change)
    applied: list[tuple[int, float]] = []
    hook = QueueHook(_applier(applied), queue.Queue(), lane=reader)
    hook()
    assert applied == [(1, 0.25), (2, 0.5), (3, 1.0)]
    hook()  # nothing more: the hook does not wait
    assert len(applied) == 3
    assert hook.block == 2


def test_a_full_lane_drops_instead_of_blocking_the_midi_thread() -> None:
    reader, writer = mp.get_context("spawn").Pipe(duplex=False)
    lane = ChangeLane(writer)
    sent = dropped = 0
    for _ in range(100_000):  # far more than a pipe holds (64 KiB / 16 bytes)
        try:
            lane.put_nowait((1, 0.5))
            sent += 1
        except queue.Full:
            dropped += 1
    assert sent > 0 and dropped > 0
    # Every change that went in is whole: the reader gets exactly `sent` of them.
    got = 0
    while reader.poll():
        assert len(reader.recv_bytes()) == 12
        got += 1
    assert got == sent


def test_the_performer_has_the_last_word_within_a_block() -> None:
    reader, writer = mp.get_context("spawn").Pipe(duplex=False)
    changes: mp.Queue[tuple[int, float]] = mp.get_context("spawn").Queue()
    changes.put((2, 0.1))  # the body's value, from the control process
    ChangeLane(writer).put_nowait((2, 0.9))  # the performer's, from the MIDI process
    deadline = time.monotonic() + 10
    while changes.empty() and time.monotonic() < deadline:  # the queue's feeder thread
        time.sleep(0.01)
    applied: list[tuple[int, float]] = []
    QueueHook(_applier(applied), changes, lane=reader)()
    assert applied == [(2, 0.1), (2, 0.9)]


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_values_on_the_lane_are_scrubbed(value: float) -> None:
    reader, writer = mp.get_context("spawn").Pipe(duplex=False)
    ChangeLane(writer).put_nowait((3, value))
    applied: list[tuple[int, float]] = []
    QueueHook(_applier(applied), queue.Queue(), lane=reader)()
    assert applied == [(3, 0.0)]  # the last good value
