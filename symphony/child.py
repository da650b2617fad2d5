"""Child processes of a show that can always be stopped: flags, deadlines, kill by PID.

The rules, after a `symphony live` hung for 20 minutes in `Event.set()` on a
lock its dead MIDI process had held:

- Parent and child share no lock, event or queue. Start-up, stop and the
  child's heartbeat are three floats in a lock-free shared array
  (`ChildFlags`), written by one side and polled by the other with a
  deadline. Data flows through the lanes of `engine.lanes`.
- Every stop has a deadline, after which the child is killed by its PID
  (SIGKILL), and the wait for that is bounded too.
- A child dies with its parent (`die_with_parent`: PR_SET_PDEATHSIG on Linux,
  and the child's loop checks its parent's PID), so a killed show leaves no
  engine playing on. Linux sends that signal when the *thread* that started
  the child ends: start children from a thread that lives as long as they do
  (the main thread).
- A child ignores SIGINT and SIGTERM: Ctrl-C, or a service manager's SIGTERM
  to the whole group, is its parent's to handle (the parent fades out and
  stops it).
- Children are started from one long-lived thread (`_Spawner`), made when
  the first `ChildProcess` is, before the control process lowers its own
  priority (`live.priority.yield_to_audio` puts its main thread at
  SCHED_IDLE, which a child would inherit and which an unprivileged process
  may not leave): so a restarted engine runs at normal priority, and the
  thread that started it (whose end would kill it) lives as long as the
  process.

`ChildProcess` wraps one `multiprocessing` process with those rules, and
can be spawned again after it died (see `live.supervisor`). `SharedFlag`
(an Event without its lock) and `Mailbox` (the latest snapshot, a seqlock
over shared bytes) replace the Events and Queues that the console process
shared with the control process.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import pickle
import queue
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

READY = 0  # set by the child when it serves
STOP = 1  # set by the parent: the child should end
BEAT = 2  # the child's heartbeat: time.monotonic() of its last loop
FLAG_SLOTS = 3
POLL_SECONDS = 0.02
_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15


def flags_array(ctx: Any) -> Any:
    return ctx.Array("d", FLAG_SLOTS, lock=False)


class ChildFlags:
    """The child's view of its flags."""

    def __init__(self, array: Any) -> None:
        self.array = array

    def ready(self) -> None:
        self.array[READY] = 1.0
        self.beat()

    def beat(self) -> None:
        self.array[BEAT] = time.monotonic()

    def stopping(self) -> bool:
        return self.array[STOP] != 0.0


def die_with_parent(parent: int, name: str = "") -> None:
    """In a child, first thing: the rules above, normal scheduling, and a name.

    `name` (at most 15 characters) is what `ps` and /proc/PID/comm show, so an
    operator (or a test) can tell the engine from the MIDI process.

    The control process runs at SCHED_IDLE once the show plays
    (`live.priority`), and a child started later (a restart) would inherit
    that; the engine and the MIDI process must not run there.
    """
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    libc_name = ctypes.util.find_library("c")
    if libc_name is not None:
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(libc_name, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))
            if name:
                libc.prctl(_PR_SET_NAME, ctypes.c_char_p(name.encode()[:15]))
    normal = getattr(os, "SCHED_OTHER", None)
    if normal is not None and os.sched_getscheduler(0) != normal:
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, normal, os.sched_param(0))
    orphaned(parent)


def orphaned(parent: int) -> bool:
    """Exit the child (status 0) if its parent is gone; call it from the child's loop."""
    if os.getppid() != parent:
        os._exit(0)
    return False


class _Spawner:
    """One daemon thread that starts every child process (see the module docstring)."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[tuple[Callable[[], None], Future[None]]] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="child-spawner", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        if hasattr(signal, "pthread_sigmask"):  # live.priority's timer signal is not ours
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        while True:
            job, done = self.jobs.get()
            try:
                job()
                done.set_result(None)
            except BaseException as exc:
                done.set_exception(exc)

    def run(self, job: Callable[[], None], timeout: float = 30.0) -> None:
        done: Future[None] = Future()
        self.jobs.put((job, done))
        done.result(timeout)


_spawner: _Spawner | None = None
_spawner_made = threading.Lock()  # in-process only


def _the_spawner() -> _Spawner:
    global _spawner
    with _spawner_made:
        if _spawner is None:
            _spawner = _Spawner()
        return _spawner


class ChildProcess:
    """One child process: spawn (again), wait for it with deadlines, stop, kill.

    `make` returns the target and arguments for each spawn, so a restart can
    hand the child fresh state. The flags array is shared by every spawn.
    """

    def __init__(self, name: str, ctx: Any, make: Callable[[], tuple[Any, tuple[Any, ...]]]):
        self.name = name
        self.ctx = ctx
        self.make = make
        self.flags: Any = flags_array(ctx)
        self.process: Any = None
        self.spawner = _the_spawner()  # made now: before the control process idles

    def spawn(self) -> None:
        """Start a new process (the previous one must have ended); do not wait."""
        if self.process is not None and self.process.is_alive():
            raise RuntimeError(f"{self.name}: a process is still running")
        self.flags[READY] = 0.0
        self.flags[STOP] = 0.0
        self.flags[BEAT] = time.monotonic()
        target, args = self.make()
        self.process = self.ctx.Process(
            target=target, args=args, name=f"symphony-{self.name}", daemon=True
        )
        self.spawner.run(self.process.start)

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def ready(self) -> bool:
        return self.flags[READY] != 0.0 and self.alive()

    def beat_age(self) -> float:
        return time.monotonic() - self.flags[BEAT]

    @property
    def exitcode(self) -> int | None:
        return None if self.process is None else self.process.exitcode

    def wait_ready(self, timeout: float) -> bool:
        """Until the child serves (True), dies or `timeout` passes (False)."""
        deadline = time.monotonic() + timeout
        while not self.ready():
            if not self.alive() or time.monotonic() > deadline:
                return False
            time.sleep(POLL_SECONDS)
        return True

    def stop(self, deadline: float = 1.0) -> None:
        """Ask the child to end; after `deadline` seconds kill it. Never waits longer."""
        self.ask_stop()
        self.finish(time.monotonic() + deadline)

    def ask_stop(self) -> None:
        self.flags[STOP] = 1.0

    def finish(self, until: float) -> None:
        """Wait until the monotonic time `until` for the child to end, then kill it."""
        process = self.process
        if process is None:
            return
        process.join(max(0.0, until - time.monotonic()))
        if process.is_alive():
            self.kill()

    def kill(self) -> None:
        """SIGKILL by PID, then reap it (bounded)."""
        process = self.process
        if process is None or process.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        process.join(2.0)


class SharedFlag:
    """A flag two processes share, with Event's `set`/`is_set`/`clear` and no lock."""

    def __init__(self, ctx: Any) -> None:
        self.value: Any = ctx.Value("b", 0, lock=False)

    def set(self) -> None:
        self.value.value = 1

    def clear(self) -> None:
        self.value.value = 0

    def is_set(self) -> bool:
        return bool(self.value.value)


class Mailbox:
    """The newest of a stream of snapshots, from one writer to one reader, lock-free.

    A seqlock: the writer makes the sequence odd, copies the pickled snapshot
    into shared bytes, and makes it even again; the reader takes a copy and
    keeps it only if the sequence was even and unchanged around the copy. A
    writer killed mid-copy leaves the sequence odd: the reader sees nothing
    new, and never waits. A snapshot larger than the box is refused
    (`queue.Full`), like a full queue's.
    """

    def __init__(self, ctx: Any, capacity: int = 1 << 20) -> None:
        self.header: Any = ctx.Array("q", 2, lock=False)  # sequence, length
        self.data: Any = ctx.RawArray("B", capacity)
        self.capacity = capacity
        self._seen = 0

    def __getstate__(self) -> dict[str, Any]:
        return {"header": self.header, "data": self.data, "capacity": self.capacity}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._seen = 0

    def put_nowait(self, snapshot: Any) -> None:
        payload = pickle.dumps(snapshot, protocol=pickle.HIGHEST_PROTOCOL)
        if len(payload) > self.capacity:
            raise queue.Full
        header = self.header
        sequence = header[0]
        header[0] = sequence + 1  # odd: being written
        ctypes.memmove(self.data, payload, len(payload))
        header[1] = len(payload)
        header[0] = sequence + 2

    def get_nowait(self) -> Any:
        """The snapshot written since the last call (queue.Empty if none, or mid-write)."""
        header = self.header
        sequence = header[0]
        if sequence == self._seen or sequence % 2:
            raise queue.Empty
        payload = ctypes.string_at(ctypes.addressof(self.data), header[1])
        if header[0] != sequence:
            raise queue.Empty
        self._seen = sequence
        return pickle.loads(payload)


STOP_SECONDS = 3.0  # SIGTERM (or Ctrl-C) to a show's exit, at most
CHILDREN_SECONDS = 1.2  # for a show's children to end before they are killed


def kill_children() -> None:
    """Anything else this process started with multiprocessing: killed by PID, now."""
    import contextlib
    import multiprocessing
    import signal

    for child in multiprocessing.active_children():
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid or 0, signal.SIGKILL)
        child.join(0.5)


def exit_now(code: int) -> None:
    """End a show's process now that every child has ended or been killed.

    The interpreter's own shutdown (multiprocessing's exit handlers joining
    what is left, library finalizers) took seconds on a loaded machine, and
    SIGTERM must end a show within STOP_SECONDS: flush what was said, leave.
    """
    import logging
    import sys

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
