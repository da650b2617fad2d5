"""Recorded sessions: load them whole for offline renders, or replay them as a live source.

`load_recording` reads CSV, XDF, EDF/BDF or BrainFlow files (formats in
`recording_readers.py`) at full speed into `ParticipantRecording`s, which is
what offline rendering and the feature tests want. `ReplaySource` plays
recordings through the `Source` contract in real time, so a show can be
rehearsed on last week's data with the live code path; `fast=True` hands
out the next `chunk` seconds on every poll, as fast as the caller polls.

Spec keys (kind = "recording"): name, path (a file, or a folder of files
read together), profile, format, board, participant, fast, chunk, loop.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from symphony.errors import SymphonyError
from symphony.inputs.profiles import SensorProfile, load_profile
from symphony.inputs.recording import ParticipantRecording, Signal
from symphony.inputs.source import SignalChunk, SourceStatus
from symphony.inputs.sources import recording_readers as readers
from symphony.inputs.sources.common import Clock, check_spec, monotonic_clock

Format = Literal["csv", "xdf", "edf", "brainflow"]
_SUFFIXES: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "brainflow",
    ".xdf": "xdf",
    ".xdfz": "xdf",
    ".edf": "edf",
    ".bdf": "edf",
}


def detect_format(path: Path) -> Format:
    """The format from the suffix; a .csv that starts with numbers is a BrainFlow file."""
    fmt = _SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise SymphonyError(
            f"unknown recording format '{path.suffix}'",
            where=path,
            expected="a .csv, .xdf, .edf, .bdf file (or format=...)",
        )
    if fmt == "csv":
        try:
            with path.open(encoding="utf-8") as handle:
                first = next((ln for ln in handle if ln.strip() and not ln.startswith("#")), "")
        except (OSError, UnicodeDecodeError) as exc:
            raise SymphonyError(f"cannot read recording: {exc}", where=path) from None
        head = first.split(",")[0].split("\t")[0].strip()
        try:
            float(head)
        except ValueError:
            return "csv"  # a header: symphony's CSV (which then checks it)
        return "brainflow"
    return fmt


def load_recording(
    path: str | Path,
    profile: SensorProfile | None = None,
    *,
    format: Format | None = None,
    board: str | int | None = None,
    participant: str | None = None,
) -> list[ParticipantRecording]:
    """Every participant's signals in a recording, times from its start.

    `path` is a file, or a folder of files read together (such as the
    `NAME.signals/` folder `symphony live` writes for consenting
    participants: one CSV per participant and signal, aligned on their
    time columns).
    """
    path = Path(path)
    if path.is_dir():
        files = recording_files(path)
        if not files:
            raise SymphonyError(
                "no recording files in this folder", where=path, expected=", ".join(_SUFFIXES)
            )
        signals: readers.Signals = {}
        for file in files:
            readers.merge(signals, _read_file(file, profile, format, board, participant), file)
    else:
        if not path.is_file():
            raise SymphonyError("recording not found", where=path)
        signals = _read_file(path, profile, format, board, participant)
    return _from_zero(signals)


def recording_files(folder: Path) -> list[Path]:
    """The files of a recording folder that a reader understands, in name order."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in _SUFFIXES)


def _read_file(
    path: Path,
    profile: SensorProfile | None,
    format: Format | None,
    board: str | int | None,
    participant: str | None,
) -> readers.Signals:
    fmt = format or detect_format(path)
    who = participant or path.stem
    if fmt == "csv":
        return readers.read_csv(path, profile, who)
    if fmt == "xdf":
        return readers.read_xdf(path, profile, who)
    if fmt == "edf":
        return readers.read_edf(path, profile, who)
    return readers.read_brainflow(path, profile, who, board)


def _from_zero(signals: readers.Signals) -> list[ParticipantRecording]:
    """Shift every signal so the earliest sample of the recording is at 0 s."""
    first = min((s.start for kinds in signals.values() for s in kinds.values()), default=0.0)
    out = []
    for name, kinds in sorted(signals.items()):
        for signal in kinds.values():
            signal.start -= first
        out.append(ParticipantRecording(name, kinds))
    return out


class ReplaySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = "recording"
    name: str = "recording"
    path: Path
    profile: str | None = None
    format: Format | None = None
    board: str | int | None = None
    participant: str | None = None
    fast: bool = False
    chunk: float = Field(default=1.0, gt=0)
    loop: bool = False


class ReplaySource:
    """Plays recordings as a live source (see module docstring).

    Live, a sample is handed out once the show clock has passed its time
    (recording time plus the show time at `open`); fast, each poll hands out
    the next `chunk` seconds, stamped with the recording's own times. With
    `loop`, the recording starts over when it ends.
    """

    def __init__(
        self,
        recordings: Sequence[ParticipantRecording],
        clock: Clock | None = None,
        *,
        name: str = "replay",
        fast: bool = False,
        chunk: float = 1.0,
        loop: bool = False,
    ) -> None:
        self.name = name
        self.recordings = list(recordings)
        self.fast = fast
        self.chunk = chunk
        self.loop = loop
        self._clock = clock or monotonic_clock()
        self._t_open: float | None = None
        self._sent: dict[tuple[str, str], int] = {}
        self._fast_time = 0.0
        self._status = SourceStatus(name)
        self.length = max(
            (s.start + s.duration for r in self.recordings for s in r.signals.values()),
            default=0.0,
        )

    @property
    def finished(self) -> bool:
        return not self.loop and self._elapsed() >= self.length

    def _elapsed(self) -> float:
        if self._t_open is None:
            return 0.0
        return self._fast_time if self.fast else self._clock() - self._t_open

    def open(self) -> None:
        self._t_open = self._clock()
        self._status.connected = True

    def poll(self) -> list[SignalChunk]:
        if self._t_open is None:
            return []
        if self.fast:
            self._fast_time += self.chunk
        elapsed = self._elapsed()
        laps = int(elapsed // self.length) if self.loop and self.length > 0 else 0
        chunks = []
        for rec in self.recordings:
            for kind, signal in rec.signals.items():
                chunks.extend(self._due(rec.participant, kind, signal, elapsed, laps))
        if chunks:
            self._status.last_data = max(c.signal.start + c.signal.duration for c in chunks)
        self._status.connected = not self.finished
        return chunks

    def _due(
        self, participant: str, kind: str, signal: Signal, elapsed: float, laps: int
    ) -> list[SignalChunk]:
        """Samples of one signal whose time has come, split at loop boundaries."""
        key = (participant, kind)
        n = signal.n_samples
        sent = self._sent.get(key, 0)
        out = []
        while True:
            lap, index = divmod(sent, n) if n else (0, 0)
            lap_time = elapsed - lap * self.length
            # The epsilon keeps 0.5 s x 99.99999 Hz (a rate from float steps) at 50 samples.
            exact = (lap_time - signal.start) * signal.rate + 1e-6
            due = min(max(math.floor(exact), 0), n)  # polled per signal per frame: no numpy
            if lap > laps or due <= index:
                break
            offset = (0.0 if self.fast else self._t_open or 0.0) + lap * self.length
            data = signal.data[..., index:due]
            start = signal.start + index / signal.rate + offset
            piece = Signal(signal.kind, signal.rate, data.copy(), signal.unit, start)
            out.append(SignalChunk(participant, piece))
            sent += due - index
            if due < n or not self.loop:
                break
        self._sent[key] = sent
        return out

    def status(self) -> SourceStatus:
        return SourceStatus(**vars(self._status))

    def close(self) -> None:
        self._status.connected = False


def validate_spec(spec: dict[str, Any]) -> ReplaySpec:
    """Check a spec without reading samples: keys, the file or folder, its format, the profile."""
    checked = check_spec(ReplaySpec, spec, f"source '{spec.get('name', 'recording')}'")
    path = Path(checked.path)
    where = f"source '{checked.name}'"
    if path.is_dir():
        if not recording_files(path):
            raise SymphonyError(
                f"no recording files in folder {path}",
                where=where,
                key="path",
                expected=f"files ending in {', '.join(_SUFFIXES)}",
            )
    elif not path.is_file():
        raise SymphonyError(
            f"recording {path} not found", where=where, key="path", expected="a file or folder"
        )
    elif checked.format is None:
        detect_format(path)
    if checked.profile:
        load_profile(checked.profile)
    return checked


def from_spec(spec: dict[str, Any], clock: Clock | None = None) -> ReplaySource:
    checked = validate_spec(spec)
    profile = load_profile(checked.profile) if checked.profile else None
    recordings = load_recording(
        checked.path,
        profile,
        format=checked.format,
        board=checked.board,
        participant=checked.participant,
    )
    return ReplaySource(
        recordings,
        clock,
        name=checked.name,
        fast=checked.fast,
        chunk=checked.chunk,
        loop=checked.loop,
    )
