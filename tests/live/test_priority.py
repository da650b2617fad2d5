"""The control process gives way to the audio threads (symphony.live.priority)."""

from __future__ import annotations

import multiprocessing as mp
import os

import pytest

from symphony.live.priority import yield_to_audio


def _child(results: mp.Queue) -> None:  # type: ignore[type-arg]
    import threading

    before = os.sched_getscheduler(0)
    took = yield_to_audio()
    seen: list[int] = []
    thread = threading.Thread(target=lambda: seen.append(os.sched_getscheduler(0)))
    thread.start()
    thread.join()
    results.put((before, took, os.sched_getscheduler(0), seen[0]))


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="no SCHED_IDLE on this system")
def test_control_process_and_its_later_threads_run_at_sched_idle() -> None:
    # In a child process, so the test run itself keeps its priority.
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    child = ctx.Process(target=_child, args=(results,))
    child.start()
    before, took, after, thread = results.get(timeout=30)
    child.join(10)
    assert before == os.SCHED_OTHER
    assert took is True
    assert after == os.SCHED_IDLE
    assert thread == os.SCHED_IDLE
