"""Raw signals of consenting participants, written next to the session log as they arrive.

Issue 4: "the raw signals of participants who consented to recording go with
the session log"; the brief: "nobody's body data is kept without their
consent". So `SignalRecorder.write` asks about consent *first*, for every
chunk, and a chunk of someone who did not consent is dropped right there: it
is never formatted, buffered or written, and no file or folder is made for
them.

Layout, beside ``show.session``::

    show.signals/
      anna-ppg.csv      time,anna/ppg
      anna-eeg.csv      time,anna/eeg:1,anna/eeg:2,anna/eeg:3,anna/eeg:4

one CSV per participant and signal kind in symphony's own recording format
(`recording_readers.py`), whose `time` column is on the show clock. The
recording reader reads the folder back as one recording (`kind =
"recording"`, `path = "show.signals"`), so `monitor` and `render` replay it.

Samples sit on their nominal rate's grid from each stream's first chunk: a
gap (a dropped sensor) is written as rows of ``nan`` so the file stays evenly
spaced, as the reader requires; a chunk that arrives a little early (clock
correction jitter) continues the grid. Files are append-only, flushed to
the OS four times a second (whole rows in one write, so a file never ends
in half a row) and fsynced every second, so a crash or `kill -9` loses at
most the last second, as with the session log. Files are created readable
by their owner only (mode 600): they hold someone's body data.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from symphony.inputs.source import SignalChunk

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.25
FSYNC_SECONDS = 1.0
# A chunk starting this much (in seconds) after the end of the previous one is a gap.
GAP_SECONDS = 0.25

# (source name, participant) -> may their raw signals be kept?
Consent = Callable[[str, str], bool]


def signals_folder(session: Path) -> Path:
    """`show.session` -> `show.signals` (beside it)."""
    return session.with_suffix(".signals")


def _safe(name: str) -> str:
    """A participant name usable in a file name and a CSV column header."""
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", name) or "_"


@dataclass
class _Stream:
    """One participant's signal of one kind: its file, rows not yet written, its grid."""

    fd: int  # opened O_APPEND; whole rows go in one os.write, so a crash never cuts a row
    rate: float
    channels: int
    t0: float
    next_index: int = 0
    pending: list[str] = field(default_factory=list)


class SignalRecorder:
    """Append consenting participants' raw chunks to CSV files (see module docstring)."""

    def __init__(self, folder: Path, consent: Consent) -> None:
        self.folder = folder
        self.consent = consent
        self.samples = 0  # samples written, for the console and the tests
        self.refused: set[tuple[str, str]] = set()  # (source, participant) not recorded
        self._streams: dict[tuple[str, str], _Stream] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="signal-recorder", daemon=True)
        self._last_sync = time.monotonic()
        self._thread.start()

    def write(self, source: str, chunks: Iterable[SignalChunk]) -> None:
        """Append the chunks of consenting participants; drop everyone else's unseen."""
        for chunk in chunks:
            if not self.consent(source, chunk.participant):
                self.refused.add((source, chunk.participant))
                continue
            try:
                self._append(chunk)
            except (OSError, ValueError) as exc:  # a full disk must not stop the show
                log.warning("raw signals of %s not written: %s", chunk.participant, exc)

    def _append(self, chunk: SignalChunk) -> None:
        signal = chunk.signal
        data = np.atleast_2d(np.asarray(signal.data, dtype=np.float64))
        if data.shape[-1] == 0 or signal.rate <= 0:
            return
        key = (chunk.participant, signal.kind)
        with self._lock:
            stream = self._streams.get(key)
            if stream is None:
                stream = self._open(chunk.participant, signal.kind, signal.rate, data.shape[0])
                stream.t0 = signal.start
                self._streams[key] = stream
            if signal.rate != stream.rate or data.shape[0] != stream.channels:
                log.warning(
                    "raw %s of %s changed shape (%g Hz, %d channels); not written",
                    signal.kind,
                    chunk.participant,
                    signal.rate,
                    data.shape[0],
                )
                return
            index = round((signal.start - stream.t0) * stream.rate)
            gap = index - stream.next_index
            if gap > GAP_SECONDS * stream.rate:
                data = np.hstack([np.full((data.shape[0], gap), np.nan), data])
            k = stream.next_index + np.arange(data.shape[1])
            table = np.column_stack([stream.t0 + k / stream.rate, data.T])
            # One % over the whole block: np.savetxt formats row by row in Python.
            row = "%.9f" + ",%.9g" * data.shape[0] + "\n"
            stream.pending.append((row * table.shape[0]) % tuple(table.ravel().tolist()))
            stream.next_index += data.shape[1]
            self.samples += data.shape[1]

    def _open(self, participant: str, kind: str, rate: float, channels: int) -> _Stream:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        who = _safe(participant)
        path = self.folder / f"{who}-{kind}.csv"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        stream = _Stream(fd, rate, channels, 0.0)
        if os.fstat(fd).st_size == 0:
            if kind == "eeg":
                columns = [f"{who}/eeg:{c + 1}" for c in range(channels)]
            else:
                columns = [f"{who}/{kind}"]
            stream.pending.append(
                f"# raw {kind} of participant '{participant}', who consented\n"
                + ",".join(["time", *columns])
                + "\n"
            )
        return stream

    def _run(self) -> None:
        while not self._stopping.wait(FLUSH_SECONDS):
            self.flush()

    def flush(self) -> None:
        """Hand every finished row to the OS; fsync once a second."""
        sync = time.monotonic() - self._last_sync >= FSYNC_SECONDS
        with self._lock:
            for stream in self._streams.values():
                try:
                    _write_all(stream.fd, "".join(stream.pending).encode())
                    stream.pending.clear()
                    if sync:
                        os.fsync(stream.fd)
                except OSError as exc:  # a full disk must not stop the show
                    log.warning("raw signals not written: %s", exc)
        if sync:
            self._last_sync = time.monotonic()

    def forget(self, participant: str) -> int:
        """Stop keeping a person at once and delete what this show kept of them.

        Called when they withdraw `record` consent (the caller's consent
        function already refuses their next chunks). Returns the files deleted.
        """
        deleted = 0
        with self._lock:
            for key in [k for k in self._streams if k[0] == participant]:
                stream = self._streams.pop(key)
                stream.pending.clear()
                os.close(stream.fd)
            for path in self.folder.glob(f"{_safe(participant)}-*.csv"):
                path.unlink(missing_ok=True)
                deleted += 1
        log.info("raw signals of %s deleted (%d files)", participant, deleted)
        return deleted

    def close(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(2.0)
        self._last_sync = 0.0
        self.flush()
        with self._lock:
            for stream in self._streams.values():
                os.close(stream.fd)
            self._streams.clear()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
