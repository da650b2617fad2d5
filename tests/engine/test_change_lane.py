"""The lanes into the engine: pipes written by the sender's own thread, read by the hook.

Real pipes, a real session ring and a real shared clock array; the setters
are plain callables recording what the hook applies (no audio is needed to
see the order).
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import queue
from collections.abc import Iterator

import pytest

from symphony.engine.clock import BLOCKS, LAST, clock_array
from symphony.engine.hook import ControlApplier, LaneHook
from symphony.engine.lanes import RECORD, ChangeLane, LaneReader, MessageLane
from symphony.session.ring import REBUILT, RingReader, RingView, RingWriter, create_ring

CTX = mp.get_context("spawn")


def _applier(applied: list[tuple[int, float]], n: int = 4) -> ControlApplier:
    setters = [lambda v, i=i: applied.append((i, v)) for i in range(n)]
    return ControlApplier(
        setters, [0.0] * n, [1.0] * n, [0.0] * n, [f"t{i}" for i in range(n)], 0, 1.0
    )


def _lanes() -> tuple[ChangeLane, ChangeLane, LaneReader]:
    control_r, control_w = CTX.Pipe(duplex=False)
    midi_r, midi_w = CTX.Pipe(duplex=False)
    return ChangeLane(control_w), ChangeLane(midi_w), LaneReader([control_r, midi_r])


@pytest.fixture
def ring() -> Iterator[RingView]:
    view = create_ring(capacity=1024)
    yield view
    view.close()
    view.shm.unlink()


def test_changes_cross_the_lane_in_order() -> None:
    control, _, reader = _lanes()
    for target, value in [(1, 0.25), (2, 0.5), (3, 1.0)]:
        assert control.put(target, value)
    applied: list[tuple[int, float]] = []
    clock = clock_array(CTX)
    hook = LaneHook(_applier(applied), reader, clock)
    hook()
    assert applied == [(1, 0.25), (2, 0.5), (3, 1.0)]
    hook()  # nothing more: the hook does not wait
    assert len(applied) == 3
    assert hook.block == 2
    assert clock[BLOCKS] == 2.0 and clock[LAST] > 0.0


def test_a_full_lane_drops_instead_of_blocking_the_sender() -> None:
    reader_end, writer_end = CTX.Pipe(duplex=False)
    lane = ChangeLane(writer_end)
    sent = dropped = 0
    for _ in range(100_000):  # far more than a pipe holds (64 KiB / 16 bytes)
        try:
            lane.put_nowait((1, 0.5))
            sent += 1
        except queue.Full:
            dropped += 1
    assert sent > 0 and dropped > 0
    # Every change that went in is whole: the reader gets exactly `sent` of them.
    got = []
    LaneReader([reader_end]).drain(lambda t, v, g: got.append((t, v, g)), limit=200_000)
    assert len(got) == sent and set(got) == {(1, 0.5, 0)}


def test_the_performer_has_the_last_word_within_a_block() -> None:
    control, midi, reader = _lanes()
    midi.put_nowait((2, 0.9))  # the performer's, from the MIDI process, written first
    control.put(2, 0.1)  # the body's value, from the control process
    applied: list[tuple[int, float]] = []
    LaneHook(_applier(applied), reader, clock_array(CTX))()
    assert applied == [(2, 0.1), (2, 0.9)]


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_values_on_the_lane_are_scrubbed(value: float) -> None:
    _, midi, reader = _lanes()
    midi.put_nowait((3, value))
    applied: list[tuple[int, float]] = []
    LaneHook(_applier(applied), reader, clock_array(CTX))()
    assert applied == [(3, 0.0)]  # the last good value


def test_a_tagged_change_is_applied_but_never_stored(ring: RingView) -> None:
    control, midi, reader = _lanes()
    control.put(1, 0.25)
    control.put(2, 0.75, tag=7)  # private: the engine plays it, the ring must not hold it
    midi.put_nowait((3, 0.5))
    applied: list[tuple[int, float]] = []
    hook = LaneHook(_applier(applied), reader, clock_array(CTX), RingWriter(ring))
    hook()
    assert applied == [(1, 0.25), (2, 0.75), (3, 0.5)]
    _, targets, values, tags = RingReader(ring).drain()
    assert targets.tolist() == [1, 2, 3]
    assert tags.tolist() == [0, 7, 0]
    assert values[0] == 0.25 and math.isnan(values[1]) and values[2] == 0.5
    assert 0.75 not in ring.values.tolist()  # nowhere in shared memory


def test_between_graphs_values_are_kept_and_triggers_dropped(ring: RingView) -> None:
    control, _, reader = _lanes()
    applied: list[tuple[int, float]] = []
    applier = _applier(applied)
    hook = LaneHook(applier, reader, clock_array(CTX), RingWriter(ring), first_block=40)
    applier.detach()  # the server is gone
    control.put(1, 0.3)
    control.put(2, 1.0)  # a trigger (fire target 2): not played late
    assert hook.drain_between(frozenset({2})) == 2
    assert applied == [] and applier.last_good[1] == 0.3 and applier.last_good[2] == 0.0
    hook.mark_rebuilt(2.5)
    blocks, targets, values, _ = RingReader(ring).drain()
    assert blocks.tolist() == [40, 40] and targets.tolist() == [1, REBUILT]
    assert values.tolist() == [0.3, 2.5]


def test_rebind_keeps_the_state_and_resumes_the_master_where_it_was() -> None:
    applied: list[tuple[int, float]] = []
    applier = _applier(applied)
    applier.apply(1, 0.4)
    applier.apply(0, 0.8)  # the master (index 0) rises at 1.0 per block: one tick to 0.8
    applier.tick_master()
    applier.detach()
    applier.apply(0, 0.2)  # panic while there is no graph: the target drops
    resumed = applier.resume_values()
    assert resumed[1] == 0.4 and resumed[0] == 0.8  # built at what the old graph played
    again: list[tuple[int, float]] = []
    applier.rebind([lambda v, i=i: again.append((i, v)) for i in range(4)])
    applier.tick_master()
    assert again == [(0, 0.2)]  # and the master goes where it was sent at once (downward)


def test_a_partial_record_waits_for_the_rest() -> None:
    reader_end, writer_end = CTX.Pipe(duplex=False)
    record = RECORD.pack(2, 0, 0.5)
    got: list[tuple[int, float, int]] = []
    lanes = LaneReader([reader_end])
    os.write(writer_end.fileno(), record[:5])
    lanes.drain(lambda t, v, g: got.append((t, v, g)), 10)
    assert got == []
    os.write(writer_end.fileno(), record[5:])
    lanes.drain(lambda t, v, g: got.append((t, v, g)), 10)
    assert got == [(2, 0.5, 0)]


def _send_messages(lane: MessageLane) -> None:
    for k in range(3):
        lane.put_nowait(("hello", k))


def test_message_lane_between_processes_and_when_full() -> None:
    lane = MessageLane(CTX)
    child = CTX.Process(target=_send_messages, args=(lane,))
    child.start()
    child.join(30)
    assert [lane.get(timeout=5.0) for _ in range(3)] == [("hello", 0), ("hello", 1), ("hello", 2)]
    with pytest.raises(queue.Empty):
        lane.get_nowait()
    full = 0
    for k in range(10_000):
        try:
            lane.put_nowait(("x" * 100, k))
        except queue.Full:
            full += 1
    assert full > 0  # a full lane refuses at once instead of waiting
    with pytest.raises(ValueError, match="too long"):
        lane.put_nowait("y" * 5000)
