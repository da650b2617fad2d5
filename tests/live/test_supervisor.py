"""The supervisor on real child processes: restarts, back-off, hangs, the crash-loop flag.

The children are real processes (`symphony.child.ChildProcess`) running tiny
bodies: one that dies at once, one that serves until stopped, one that hangs
(ready, then no heartbeat). Only the supervisor's clock is injected, so ten
minutes of back-off take no time; waits on the real processes have generous
deadlines that only turn a hang into a failure.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import time
from collections.abc import Callable
from typing import Any

from symphony.child import ChildFlags, ChildProcess
from symphony.live.supervisor import RESTART_DELAYS, Supervisor

CTX = mp.get_context("spawn")


def die_at_once(flags: Any) -> None:
    sys.exit(3)


def serve(flags: Any) -> None:
    own = ChildFlags(flags)
    own.ready()
    while not own.stopping():
        own.beat()
        time.sleep(0.02)


def hang(flags: Any) -> None:
    ChildFlags(flags).ready()
    time.sleep(120)  # never beats again


class Child:
    """A supervised child over a real process (what EngineProcess and MidiProcess offer)."""

    def __init__(self, name: str, body: Callable[[Any], None], hung_after: float = 1.0) -> None:
        self.name = name
        self.hung_after = hung_after
        self.child = ChildProcess(name, CTX, lambda: (body, (self.child.flags,)))
        self.child.spawn()

    def alive(self) -> bool:
        return self.child.alive()

    def ready(self) -> bool:
        return self.child.ready()

    def hung(self) -> bool:
        return self.child.ready() and self.child.beat_age() > self.hung_after

    def restart(self) -> None:
        if self.child.alive():
            self.child.kill()
        self.child.spawn()

    def failure(self) -> str | None:
        return None

    @property
    def exitcode(self) -> int | None:
        return self.child.exitcode

    def stop(self) -> None:
        self.child.stop(1.0)


def until(condition: Callable[[], bool], what: str, deadline: float = 30.0) -> None:
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, f"gave up waiting for {what}"
        time.sleep(0.02)


def test_a_crashing_child_is_restarted_with_back_off_and_flags_a_crash_loop() -> None:
    now = [1000.0]
    supervisor = Supervisor(clock=lambda: now[0])
    crashing = Child("engine", die_at_once)
    healthy = Child("midi", serve)
    until(healthy.ready, "the healthy child")
    healthy_pid = healthy.child.pid
    supervisor.watch(crashing)
    supervisor.watch(healthy)
    try:
        for k in range(7):
            until(lambda: not crashing.alive(), "the crash")
            supervisor.poll()  # sees the death: waits RESTART_DELAYS[k] before restarting
            assert supervisor.state_of("engine") == "waiting"
            delay = RESTART_DELAYS[min(k, len(RESTART_DELAYS) - 1)]
            if delay > 0:
                now[0] += delay / 2
                assert supervisor.poll() == [], "restarted before its back-off"
            now[0] += delay
            [restart] = supervisor.poll()
            assert restart.name == "engine" and "status 3" in restart.why
            assert supervisor.crash_loop == (k + 1 > 5)
            now[0] += 1.0
        assert supervisor.restarts == 7 and supervisor.restarts_of("engine") == 7
        assert supervisor.restarts_of("midi") == 0 and healthy.child.pid == healthy_pid
        assert healthy.alive(), "a sibling's crashes touched the healthy child"
        now[0] += 601.0
        assert not supervisor.crash_loop, "restarts older than 10 minutes still count"
    finally:
        crashing.stop()
        healthy.stop()


def test_a_hung_child_is_killed_and_started_again_and_on_ready_runs() -> None:
    now = [0.0]
    resynced: list[float] = []
    supervisor = Supervisor(clock=lambda: now[0])
    stuck = Child("engine", hang, hung_after=0.5)
    until(stuck.ready, "the child to serve")
    first = stuck.child.pid
    supervisor.watch(stuck, on_ready=lambda: resynced.append(now[0]))
    try:
        until(stuck.hung, "the heartbeat to stop")
        supervisor.poll()  # hung: scheduled, restarted at once (first restart: no delay)
        [restart] = supervisor.poll()
        assert "hung" in restart.why
        assert stuck.child.pid != first
        until(stuck.ready, "the new process to serve")
        supervisor.poll()
        assert resynced == [0.0] and supervisor.state_of("engine") == "running"
        assert not supervisor.crash_loop
    finally:
        stuck.stop()


def test_a_start_that_never_becomes_ready_is_retried() -> None:
    now = [0.0]
    supervisor = Supervisor(clock=lambda: now[0], start_timeout=5.0)
    child = Child("midi", die_at_once)
    supervisor.watch(child)
    try:
        until(lambda: not child.alive(), "the crash")
        supervisor.poll()
        assert len(supervisor.poll()) == 1  # restarted
        until(lambda: not child.alive(), "the second crash")
        supervisor.poll()  # a start that died: scheduled again
        assert supervisor.state_of("midi") == "waiting"
        assert "failed to start" in (supervisor.last_error() or "")
    finally:
        child.stop()
