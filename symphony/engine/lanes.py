"""Pipes between processes that nobody can leave locked: change lanes and message lanes.

A `multiprocessing.Queue` is a pipe plus a lock shared by every process that
writes, a semaphore, and a feeder thread per writer. A child that dies while
it holds the lock (it was killed, or its JACK server vanished under it)
leaves every other writer blocked for ever; a consumer that died leaves the
feeder thread of each writer blocked on a full pipe, and the writer process
then hangs at exit joining it. Both were seen here: a `symphony live` that
ignored SIGTERM for 20 minutes.

So every lane here is a bare pipe, written with one `os.write` of at most
PIPE_BUF bytes from a non-blocking descriptor. Such a write is atomic: a
record is all there or not at all, whoever dies when; a full pipe fails the
write at once (`queue.Full`, the change is dropped) instead of waiting; there
is no lock to hold and no thread to wake. Readers poll with a zero or
bounded timeout. The pipes are made, and their ends kept, by the control
process, so a child that is restarted gets the very same lane again.

- `ChangeLane` carries engine changes, (target, value) and a consent tag, as
  fixed 16-byte records; `LaneReader` is the engine hook's side: one `poll`
  system call per block for all its lanes, and the records only when some
  arrived.
- `MessageLane` carries small picklable objects (commands, errors, learn
  messages) with the same rules, in `multiprocessing.Connection` framing, so
  the reader is a plain `Connection.recv`.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import select
import struct
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any

RECORD = struct.Struct("<iid")  # target, tag, value: 16 bytes
PIPE_BYTES = 1 << 20  # ask the kernel for 1 MiB: 65536 changes in flight
_HEADER = struct.Struct("!i")  # multiprocessing.Connection's length prefix
_ATOMIC = 4096  # PIPE_BUF on Linux: writes up to this size are never split

Apply = Callable[[int, float, int], None]


def widen(conn: Connection, size: int = PIPE_BYTES) -> None:
    """Grow a pipe's buffer where the kernel allows it (Linux); else keep the default."""
    try:
        import fcntl
    except ImportError:
        return
    op = getattr(fcntl, "F_SETPIPE_SZ", None)
    if op is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(conn.fileno(), op, size)


class ChangeLane:
    """The writing end of a lane of engine changes (control or MIDI process).

    `put_nowait((target, value))` keeps the interface of a queue for the MIDI
    process (tag 0); `put(target, value, tag)` is the control process's. The
    descriptor is made non-blocking in the process that writes, on first use.
    """

    def __init__(self, writer: Connection) -> None:
        self.writer = writer
        self._fd = -1

    def __getstate__(self) -> dict[str, Any]:
        return {"writer": self.writer}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.writer = state["writer"]
        self._fd = -1

    def _open(self) -> int:
        fd = self.writer.fileno()
        os.set_blocking(fd, False)
        self._fd = fd
        return fd

    def put(self, target: int, value: float, tag: int = 0) -> bool:
        """Write one change; False (dropped) if the pipe is full."""
        fd = self._fd if self._fd >= 0 else self._open()
        try:
            os.write(fd, RECORD.pack(int(target), int(tag), float(value)))
        except BlockingIOError:
            return False
        return True

    def put_nowait(self, change: tuple[int, float]) -> None:
        if not self.put(change[0], change[1], 0):
            raise queue.Full


class LaneReader:
    """The engine's side of its lanes, read in a fixed order (control first, then MIDI).

    `poll()` is one system call for all lanes and returns whether anything
    is waiting; `drain(apply, limit)` then hands every whole record to
    `apply(target, value, tag)`, at most `limit` per lane. A lane whose
    writers are all gone is dropped from the poll set.
    """

    def __init__(self, lanes: Sequence[Connection | None]) -> None:
        self.fds = [conn.fileno() for conn in lanes if conn is not None]
        self.kept = [conn for conn in lanes if conn is not None]  # keep the fds open
        self.poller = select.poll()
        for fd in self.fds:
            os.set_blocking(fd, False)
            self.poller.register(fd, select.POLLIN)
        self.rest = {fd: b"" for fd in self.fds}

    def poll(self) -> bool:
        return bool(self.poller.poll(0))

    def drain(self, apply: Apply, limit: int) -> int:
        """Apply what is waiting, lane by lane; returns how many changes."""
        count = 0
        size = RECORD.size
        for fd in self.fds:
            try:
                data = os.read(fd, limit * size)
            except BlockingIOError:
                continue
            if not data:  # every writer closed: nothing will come again
                self.poller.unregister(fd)
                self.fds = [f for f in self.fds if f != fd]
                continue
            rest = self.rest[fd]
            if rest or len(data) % size:
                data = rest + data
                cut = len(data) - len(data) % size
                self.rest[fd] = data[cut:]
                data = data[:cut]
            for target, tag, value in RECORD.iter_unpack(data):
                apply(target, value, tag)
                count += 1
        return count

    def discard(self) -> int:
        """Empty every lane without applying (stale changes of a dead engine)."""
        dropped = 0
        for fd in self.fds:
            while True:
                try:
                    data = os.read(fd, 1 << 16)
                except BlockingIOError:
                    break
                if not data:
                    break
                dropped += len(data) // RECORD.size
            self.rest[fd] = b""
        return dropped


class MessageLane:
    """Small picklable messages over a non-blocking pipe, dropped when it is full.

    Both ends travel with the object (to the child that writes and to the
    process that reads); each process uses its own end. Messages must pickle
    to under 4 KiB, so that one write is atomic.
    """

    def __init__(self, ctx: Any) -> None:
        self.reader, self.writer = ctx.Pipe(duplex=False)
        self._fd = -1

    def __getstate__(self) -> dict[str, Any]:
        return {"reader": self.reader, "writer": self.writer}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.reader = state["reader"]
        self.writer = state["writer"]
        self._fd = -1

    def put_nowait(self, message: Any) -> None:
        payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        if len(payload) + _HEADER.size > _ATOMIC:
            raise ValueError(f"message of {len(payload)} bytes is too long for a lane")
        if self._fd < 0:
            self._fd = self.writer.fileno()
            os.set_blocking(self._fd, False)
        try:
            os.write(self._fd, _HEADER.pack(len(payload)) + payload)
        except BlockingIOError:
            raise queue.Full from None

    def put(self, message: Any) -> None:
        """Like `put_nowait`, but a full lane drops the message silently."""
        with contextlib.suppress(queue.Full):
            self.put_nowait(message)

    def get(self, timeout: float = 0.0) -> Any:
        """The next message, waiting at most `timeout` s (queue.Empty if none)."""
        if not self.reader.poll(max(0.0, timeout)):
            raise queue.Empty
        return self.reader.recv()

    def get_nowait(self) -> Any:
        return self.get(0.0)
