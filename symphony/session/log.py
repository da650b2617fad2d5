"""The session log: every control change the engine applied, as it happens.

A text file, append-only, one record per line, so a show killed mid-way
leaves a file that still reads up to its last complete line:

- line 1: ``#symphony-session 1 {json header}``: performance path and a hash
  of its text, seed, sample rate, block size, channels and the target names
  (so a log is never replayed onto a different control layout unnoticed);
- ``c BLOCK TARGET VALUE``: a change applied at the start of audio block
  BLOCK (the value is written with repr, so it reads back bit-exact); a
  change that carries a consenting person's own data is followed by
  ``@WHO ~PUBLIC`` (whose it is, and what stands in for it if they withdraw
  their consent: `session/private.py`);
- ``p BLOCKS``: how many blocks the engine had played at that moment, written
  at each flush, so the re-render knows how long the show ran;
- ``r BLOCK SECONDS``: the engine's graph was built anew at block BLOCK, after
  SECONDS without audio (the JACK server or the audio device went away, or the
  engine process was restarted). Block indices go on counting across the gap:
  a block index counts blocks that were played, not time, so the log stays
  monotonic. A re-render plays straight through the gap (it has no silence
  there and its graph is not rebuilt): every control value is the same at the
  same block, but after the gap the live sound started from a fresh graph
  (oscillator phases, reverb tails, grains), so only the part before the first
  ``r`` is sample for sample the live sound. `render --session` says so.

Every change carries the consent tag the control process gave it (0:
ordinary). What is written for a change is decided by the writer's
`resolve(block, target, value, tag)`: by default the ``c`` line for tag 0 and
nothing for any other tag (whose value the ring never holds: it arrives as
NaN). `SessionWriter.rewrite` filters the whole log written so far, for a
consent taken back mid-show.

The writer flushes at least four times a second and fsyncs every second:
`kill -9` loses at most the last second.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from symphony.errors import SymphonyError
from symphony.mapping.schedule import Schedule
from symphony.session.ring import REBUILT, RingReader

MAGIC = "#symphony-session 1 "
FLUSH_SECONDS = 0.25
FSYNC_SECONDS = 1.0
REWRITE_CHUNK = 1 << 22  # bytes read at a time while rewriting

# (block, target, value, tag) -> the line to log (no newline), or None for nothing.
Resolve = Callable[[int, int, float, int], str | None]
# A record line (no newline) -> its replacement, or None to drop it.
Keep = Callable[[str], str | None]


def ordinary(block: int, target: int, value: float, tag: int) -> str | None:
    """The default `resolve`: today's ``c`` line for tag 0, nothing for a tagged change."""
    if tag != 0:
        return None
    return f"c {block} {target} {value!r}"


def performance_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


@dataclass(frozen=True)
class SessionHeader:
    performance: str
    performance_hash: str
    seed: int
    sample_rate: int
    block_size: int
    channels: int
    targets: list[str]
    started: float

    def to_line(self) -> str:
        return MAGIC + json.dumps(self.__dict__, separators=(",", ":")) + "\n"


@dataclass
class Session:
    header: SessionHeader
    schedule: Schedule
    blocks_played: int
    rebuilds: list[tuple[int, float]] = field(default_factory=list)  # (block, gap seconds)

    @property
    def duration(self) -> float:
        return self.blocks_played * self.header.block_size / self.header.sample_rate


class SessionWriter:
    """Drain the engine's ring into the log file from a background thread.

    `resolve` decides what each change becomes in the log (see the module
    docstring). One lock covers every write, so `rewrite` and the drains
    never interleave.
    """

    def __init__(
        self,
        path: Path,
        header: SessionHeader,
        reader: RingReader,
        resolve: Resolve | None = None,
    ) -> None:
        self.path = path
        self.reader = reader
        self.resolve: Resolve = resolve or ordinary
        self.lock = threading.Lock()
        self.rewriting = threading.Lock()  # one rewrite at a time
        self.locked_seconds = 0.0  # how long the last rewrite held the writer
        self.file: IO[str] = path.open("a", encoding="utf-8")
        if path.stat().st_size == 0:
            self.file.write(header.to_line())
            self._sync()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="session-writer", daemon=True)
        self.last_sync = time.monotonic()

    def start(self) -> None:
        self.thread.start()

    def _sync(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.last_sync = time.monotonic()

    def drain(self) -> int:
        """Write what the engine applied since the last drain; returns the lines written."""
        with self.lock:
            return self._drain()

    def _drain(self) -> int:
        blocks, targets, values, tags = self.reader.drain()
        resolve = self.resolve
        lines = []
        for b, t, v, g in zip(
            blocks.tolist(), targets.tolist(), values.tolist(), tags.tolist(), strict=True
        ):
            if t == REBUILT:
                lines.append(f"r {b} {v!r}\n")
                continue
            line = resolve(b, t, v, g)
            if line is not None:
                lines.append(line + "\n")
        written = len(lines)
        lines.append(f"p {self.reader.blocks_played()}\n")
        self.file.write("".join(lines))
        self.file.flush()
        if time.monotonic() - self.last_sync >= FSYNC_SECONDS:
            self._sync()
        return written

    def rewrite(self, keep: Keep) -> int:
        """Pass every record written so far through `keep`; returns the lines dropped.

        The header stays. The new log is written beside the old one, fsynced and
        renamed over it (atomic: a crash leaves either log, whole), then the
        writer appends to it. The log is append-only, so the bulk of it is
        filtered before the lock is taken; under the lock only what was appended
        meanwhile is filtered, then the rename: the writer waits for that part
        only (`locked_seconds`), and changes that arrive meanwhile wait in the
        ring. When it returns, nothing `keep` dropped is in the log.
        """
        with self.rewriting:
            with self.lock:
                self._drain()
                upto = self.file.tell()
            partial = self.path.with_name(self.path.name + ".rewrite")
            with self.path.open("rb") as src, partial.open("wb") as dst:
                dst.write(src.readline())
                dropped, rest = _filter_lines(src, dst, keep, upto - src.tell(), b"")
                dst.flush()
                os.fsync(dst.fileno())  # the bulk reaches the disk outside the lock
                with self.lock:
                    locked = time.perf_counter()
                    self._drain()
                    more, rest = _filter_lines(src, dst, keep, None, rest)
                    dst.write(rest)  # a line cut short (by an earlier crash): as it is
                    dst.flush()
                    os.fsync(dst.fileno())
                    self.file.close()
                    os.replace(partial, self.path)
                    _fsync_folder(self.path.parent)
                    self.file = self.path.open("a", encoding="utf-8")
                    self.locked_seconds = time.perf_counter() - locked
            return dropped + more

    def _run(self) -> None:
        while not self.stopping.wait(FLUSH_SECONDS):
            self.drain()

    def close(self) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(2.0)
        with self.lock:
            self._drain()
            self._sync()
            self.file.close()


def _filter_lines(
    src: IO[bytes], dst: IO[bytes], keep: Keep, size: int | None, rest: bytes
) -> tuple[int, bytes]:
    """Filter `size` more bytes of `src` (None: to its end) line by line into `dst`.

    `rest` is an unfinished line carried over from before; the unfinished line
    at the end is returned with the count of lines dropped. Chunks of
    REWRITE_CHUNK bytes (bounded memory however long the show) are split in C
    and filtered with `map`, so the Python work per line is the filter's own
    call (benchmarks/session_rewrite.py).
    """
    dropped = 0
    left = size
    while left is None or left > 0:
        chunk = src.read(REWRITE_CHUNK if left is None else min(REWRITE_CHUNK, left))
        if not chunk:
            break
        if left is not None:
            left -= len(chunk)
        data = rest + chunk
        cut = data.rfind(b"\n") + 1  # whole lines end at a newline, so at a character
        rest = data[cut:]
        if not cut:
            continue
        lines = data[: cut - 1].decode("utf-8").split("\n")
        kept = [line for line in map(keep, lines) if line is not None]
        dropped += len(lines) - len(kept)
        if kept:
            dst.write(("\n".join(kept) + "\n").encode("utf-8"))
    return dropped, rest


def _fsync_folder(folder: Path) -> None:
    """Make a rename durable: fsync the folder that holds the file."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _header(path: Path, line: str) -> SessionHeader:
    if not line.startswith(MAGIC):
        raise SymphonyError(
            "not a symphony session log", where=path, line=1, expected="'#symphony-session 1 {...}'"
        )
    try:
        data: dict[str, Any] = json.loads(line[len(MAGIC) :])
        return SessionHeader(**data)
    except (ValueError, TypeError) as exc:
        raise SymphonyError(f"session header unreadable: {exc}", where=path, line=1) from None


def read_session(path: Path) -> Session:
    """Read a log, tolerating a last line cut short by a crash."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SymphonyError(f"cannot read session log: {exc}", where=path) from None
    lines = text.split("\n")
    header = _header(path, lines[0])
    complete = lines[1:-1]  # the text after the last newline is an unfinished line
    blocks, targets, values = [], [], []
    rebuilds: list[tuple[int, float]] = []
    played = 0
    n_targets = len(header.targets)
    for number, line in enumerate(complete, start=2):
        parts = line.split()
        try:
            # A change; a change of someone who consented to be kept also names
            # them and its public stand-in (session/private.py): "@who ~public".
            if parts[0] == "c" and (len(parts) == 4 or (len(parts) == 6 and parts[4][:1] == "@")):
                b, t, v = int(parts[1]), int(parts[2]), float(parts[3])
                if not 0 <= t < n_targets or b < 0:
                    raise ValueError("target or block out of range")
                blocks.append(b)
                targets.append(t)
                values.append(v)
                played = max(played, b + 1)
            elif parts[0] == "p" and len(parts) == 2:
                played = max(played, int(parts[1]))
            elif parts[0] == "r" and len(parts) == 3:
                rebuilds.append((int(parts[1]), float(parts[2])))
            else:
                raise ValueError("unknown record")
        except (ValueError, IndexError) as exc:
            raise SymphonyError(
                f"malformed session record: {exc}",
                where=path,
                line=number,
                expected="'c BLOCK TARGET VALUE', 'p BLOCKS' or 'r BLOCK SECONDS'",
            ) from None
    order = np.argsort(np.asarray(blocks, dtype=np.int64), kind="stable")
    schedule = Schedule(
        np.asarray(blocks, dtype=np.int64)[order],
        np.asarray(targets, dtype=np.int64)[order],
        np.asarray(values, dtype=np.float64)[order],
    )
    return Session(header=header, schedule=schedule, blocks_played=played, rebuilds=rebuilds)
