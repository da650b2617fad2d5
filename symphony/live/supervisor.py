"""Keep a show's child processes alive: restart a dead or hung one, count, flag a crash loop.

The control process owns the engine and MIDI processes (and everything they
share: lanes, clock, ring, see `engine.realtime`), so it can start one of them
again without stopping the others: the engine keeps playing while the MIDI
process restarts, and the MIDI process keeps listening while a new engine
boots. `Supervisor.poll()` is cheap (a `waitpid` and a heartbeat read per
child) and meant to be called from the control loop a few times a second.

A child is restarted when its process has ended, or when it is hung (alive,
but its loop has not beaten for a while: it is killed by PID first). The
first restart is immediate, later ones wait 1, 2, 5, then 10 s (a child that
ran for a minute starts again at no wait), so a child that cannot start costs
a try every 10 s and never a busy loop. A start that does not become ready in
`start_timeout` is killed and counts as another restart.

Every restart is counted. `crash_loop` says more than `limit` (5) restarts
happened in the last `window` (10 minutes): the play command's cue to fall
back to a safe mode. `on_ready` callbacks run when a restarted child serves
again (the engine's: `LiveControl.resync`, so the control side sends its
whole state to the new engine).
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

RESTART_DELAYS = (0.0, 1.0, 2.0, 5.0, 10.0)  # seconds before the 1st, 2nd, ... restart
HEALTHY_SECONDS = 60.0  # a child that ran this long starts again with no delay
WINDOW_SECONDS = 600.0
CRASH_LOOP_RESTARTS = 5


class Supervised(Protocol):
    """What a child process offers its supervisor (EngineProcess, MidiProcess)."""

    name: str

    def alive(self) -> bool: ...

    def ready(self) -> bool: ...

    def hung(self) -> bool: ...

    def restart(self) -> None: ...

    def failure(self) -> str | None: ...

    @property
    def exitcode(self) -> int | None: ...


@dataclass(frozen=True)
class Restart:
    at: float  # the supervisor's clock
    name: str
    why: str


@dataclass
class _Watched:
    child: Supervised
    on_ready: Callable[[], None] | None
    state: str = "running"  # running, waiting (to restart), starting
    since: float = 0.0  # when the current state began
    due: float = 0.0  # waiting: when to restart
    delay: int = 0  # index into RESTART_DELAYS
    restarts: int = 0


@dataclass
class Supervisor:
    clock: Callable[[], float] = time.monotonic
    window: float = WINDOW_SECONDS
    limit: int = CRASH_LOOP_RESTARTS
    start_timeout: float = 20.0
    history: collections.deque[Restart] = field(
        default_factory=lambda: collections.deque(maxlen=100)
    )
    _watched: list[_Watched] = field(default_factory=list)

    def watch(self, child: Supervised, on_ready: Callable[[], None] | None = None) -> None:
        """Supervise a child that has been started (and is serving)."""
        self._watched.append(_Watched(child, on_ready, since=self.clock()))

    def poll(self) -> list[Restart]:
        """Look at every child once; restart what needs it. Returns restarts begun now."""
        now = self.clock()
        begun = []
        for w in self._watched:
            restart = self._step(w, now)
            if restart is not None:
                begun.append(restart)
        return begun

    def _step(self, w: _Watched, now: float) -> Restart | None:
        child = w.child
        if w.state == "running":
            if not child.alive():
                self._schedule(w, now, f"exited with status {child.exitcode}")
            elif child.hung():
                self._schedule(w, now, "hung (no heartbeat); killed")
        elif w.state == "starting":
            if child.ready():
                w.state, w.since = "running", now
                if w.on_ready is not None:
                    w.on_ready()
            elif not child.alive():
                self._schedule(w, now, f"failed to start (status {child.exitcode})")
            elif now - w.since > self.start_timeout:
                self._schedule(w, now, f"not ready within {self.start_timeout:g} s; killed")
        elif w.state == "waiting" and now >= w.due:
            return self._restart(w, now)
        return None

    def _schedule(self, w: _Watched, now: float, why: str) -> None:
        said = w.child.failure()
        if said:
            why = f"{why}: {said}"
        if w.state == "running" and now - w.since >= HEALTHY_SECONDS:
            w.delay = 0
        w.state, w.since = "waiting", now
        w.due = now + RESTART_DELAYS[min(w.delay, len(RESTART_DELAYS) - 1)]
        w.delay += 1
        self.history.append(Restart(now, w.child.name, why))

    def _restart(self, w: _Watched, now: float) -> Restart:
        w.child.restart()  # kills a hung process first
        w.state, w.since = "starting", now
        w.restarts += 1
        return self.history[-1] if self.history else Restart(now, w.child.name, "restart")

    @property
    def restarts(self) -> int:
        """Restarts begun since the show started, of every child."""
        return sum(w.restarts for w in self._watched)

    def restarts_of(self, name: str) -> int:
        return sum(w.restarts for w in self._watched if w.child.name == name)

    def recent(self, now: float | None = None) -> int:
        """Restarts (deaths) in the last `window` seconds."""
        now = self.clock() if now is None else now
        return sum(1 for r in self.history if now - r.at <= self.window)

    @property
    def crash_loop(self) -> bool:
        """More than `limit` restarts in the last `window` seconds."""
        return self.recent() > self.limit

    def state_of(self, name: str) -> str:
        return next((w.state for w in self._watched if w.child.name == name), "unknown")

    def last_error(self) -> str | None:
        return f"{self.history[-1].name}: {self.history[-1].why}" if self.history else None
