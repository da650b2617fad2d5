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
  at each flush, so the re-render knows how long the show ran.

The writer flushes at least four times a second and fsyncs every second:
`kill -9` loses at most the last second.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from symphony.errors import SymphonyError
from symphony.mapping.schedule import Schedule
from symphony.session.ring import RingReader

MAGIC = "#symphony-session 1 "
FLUSH_SECONDS = 0.25
FSYNC_SECONDS = 1.0


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

    @property
    def duration(self) -> float:
        return self.blocks_played * self.header.block_size / self.header.sample_rate


class SessionWriter:
    """Drain the engine's ring into the log file from a background thread."""

    def __init__(self, path: Path, header: SessionHeader, reader: RingReader) -> None:
        self.path = path
        self.reader = reader
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
        blocks, targets, values = self.reader.drain()
        lines = [
            f"c {b} {t} {v!r}\n"
            for b, t, v in zip(blocks.tolist(), targets.tolist(), values.tolist(), strict=True)
        ]
        lines.append(f"p {self.reader.blocks_played()}\n")
        self.file.write("".join(lines))
        self.file.flush()
        if time.monotonic() - self.last_sync >= FSYNC_SECONDS:
            self._sync()
        return len(lines) - 1

    def _run(self) -> None:
        while not self.stopping.wait(FLUSH_SECONDS):
            self.drain()

    def close(self) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(2.0)
        self.drain()
        self._sync()
        self.file.close()


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
    except OSError as exc:
        raise SymphonyError(f"cannot read session log: {exc}", where=path) from None
    lines = text.split("\n")
    header = _header(path, lines[0])
    complete = lines[1:-1]  # the text after the last newline is an unfinished line
    blocks, targets, values = [], [], []
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
            else:
                raise ValueError("unknown record")
        except (ValueError, IndexError) as exc:
            raise SymphonyError(
                f"malformed session record: {exc}",
                where=path,
                line=number,
                expected="'c BLOCK TARGET VALUE' or 'p BLOCKS'",
            ) from None
    order = np.argsort(np.asarray(blocks, dtype=np.int64), kind="stable")
    schedule = Schedule(
        np.asarray(blocks, dtype=np.int64)[order],
        np.asarray(targets, dtype=np.int64)[order],
        np.asarray(values, dtype=np.float64)[order],
    )
    return Session(header=header, schedule=schedule, blocks_played=played)
