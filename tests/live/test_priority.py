"""The control process gives way to the audio threads (symphony.live.priority)."""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable
from typing import Any

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


def _in_child(target: Callable[[Any], None]) -> tuple[Any, int | None]:
    """Run `target(results)` in a fresh process, so the test run keeps its priority and signals.

    Returns what it put on `results`, and its exit code.
    """
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    child = ctx.Process(target=target, args=(results,))
    child.start()
    found = results.get(timeout=30)
    child.join(10)
    return found, child.exitcode


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="no SCHED_IDLE on this system")
def test_control_process_and_its_later_threads_run_at_sched_idle() -> None:
    (before, took, after, thread), _ = _in_child(_child)
    assert before == os.SCHED_OTHER
    assert took is True
    assert after == os.SCHED_IDLE
    assert thread == os.SCHED_IDLE


def _give_way_child(results: mp.Queue) -> None:  # type: ignore[type-arg]
    import signal
    import threading
    import time

    from symphony.live.priority import GiveWay, shield_threads

    shield_threads()
    masks: list[set[int]] = []

    def record_mask() -> None:
        masks.append(set(signal.pthread_sigmask(signal.SIG_BLOCK, [])))

    thread = threading.Thread(target=record_mask)  # a source thread: started before install
    thread.start()
    thread.join()
    courtesy = GiveWay(every=0.0002)
    installed = courtesy.install()
    main_mask = set(signal.pthread_sigmask(signal.SIG_BLOCK, []))

    def spin(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            pass

    spin(0.05)
    outside = courtesy.offers
    with courtesy:
        spin(0.05)
    inside = courtesy.offers - outside
    time.sleep(0.02)  # a signal still on its way must not end the process
    blocked = (signal.SIGALRM in masks[0], signal.SIGALRM in main_mask)
    results.put((installed, *blocked, outside, inside))


@pytest.mark.skipif(not hasattr(os, "sched_yield"), reason="no sched_yield on this system")
def test_give_way_offers_the_cpu_only_while_working_and_only_from_the_main_thread() -> None:
    (installed, thread_blocked, main_blocked, outside, inside), code = _in_child(_give_way_child)
    assert code == 0  # no "Alarm clock" after the timer stopped
    assert installed is True
    assert thread_blocked is True  # source threads never see the signal
    assert main_blocked is False
    assert outside == 0  # no timer between steps
    # 50 ms of work at one offer per 0.2 ms is 250 offers; a loaded machine
    # delays signals, so only a tenth is asked for (none would mean no timer).
    assert inside >= 25


def test_give_way_outside_the_main_thread_does_nothing() -> None:
    import threading

    from symphony.live.priority import GiveWay

    seen: list[bool] = []
    courtesy = GiveWay()
    thread = threading.Thread(target=lambda: seen.append(courtesy.install()))
    thread.start()
    thread.join()
    assert seen == [False]
    with courtesy:  # not installed: a plain context, no timer
        pass
    assert courtesy.offers == 0
