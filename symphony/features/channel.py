"""One incoming signal of one participant: the bookkeeping between chunks and frames.

A `Lane` accepts chunks of any size, fills gaps with NaN (so a gap is *bad
signal*, not a time warp), drops samples it has already seen, and queues the
rest until the group extractor runs every lane of a kind in one pass
(`group.py`). The lane knows which row of which bank (`heart.py`,
`breath.py`, ...) holds its processing state, when that processing started
(at the first valid sample), and which frames (frame k at k / rate seconds:
the value after the last sample at or before that time) it has completed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from symphony.features.stream import ABSURD, Array, BoolArray, IntArray, frame_positions
from symphony.inputs.recording import Signal

MAX_FILL = 60.0  # s: a longer gap restarts the lane instead of being filled with NaN
PIECE = 30.0  # s: gaps are filled in pieces of at most this, and queues processed beyond it
MAX_BEATS = 2048  # beat events kept for a caller who does not pull
QUEUED, FULL, RESTART = 0, 1, 2  # what `Lane.push` did with a chunk
MULTICHANNEL = {"eeg"}  # (channels, samples); other kinds are one channel

# Per-sample outputs of each kind, by output group (the derived breathing has its own).
OUTPUT_NAMES: dict[str, tuple[str, ...]] = {
    "heart": ("hr", "rmssd", "q_heart"),
    "pheart": ("p_hr", "p_rmssd", "q_pheart"),  # the pulse, when an ECG gives the heart
    "resp": ("breath_rate", "breath_phase", "breath_amp", "q_resp", "q_amp"),
    "dresp": ("d_breath_rate", "d_breath_phase", "d_breath_amp", "q_dresp", "q_damp"),
    "eeg": (
        "eeg_ratio",
        "eeg_engage",
        "eeg_delta",
        "eeg_theta",
        "eeg_alpha",
        "eeg_beta",
        "eeg_gamma",
        "q_eeg",
    ),
    "eda": ("eda_level", "eda_activity", "q_eda"),
}
OUTPUT_OF_KIND = {"ppg": "heart", "ecg": "heart", "resp": "resp", "eeg": "eeg", "eda": "eda"}


class Bank(Protocol):
    """The processing state of many lanes of one kind and rate, one row each."""

    names: tuple[str, ...]

    def add_row(self) -> int: ...

    def start_row(self, row: int, start: float, first: Array) -> None: ...

    def process(self, rows: IntArray, x: Array) -> tuple[dict[str, Array], list[Array]]: ...


def missing_value(name: str) -> float:
    """What a frame holds when a lane has nothing to say: quality 0, else unknown."""
    return 0.0 if name.startswith("q_") else np.nan


@dataclass
class Lane:
    """Chunks of one signal of one participant in; queued samples out to its bank."""

    kind: str
    output: str  # output group: which frame values this lane writes (OUTPUT_NAMES)
    member: int  # the participant's index in the group
    rate: float  # frames per second
    fs: float = 0.0
    channels: int = 0
    t0: float = 0.0  # time of lane sample 0
    n: int = 0  # samples processed (including gap fill); `received` adds the queued ones
    k_next: int = 0  # next frame this lane will complete
    started: bool = False  # has received data (fs, channels, t0 are known)
    queued: list[Array] = field(default_factory=list)
    pending: int = 0  # samples queued
    bank: Bank | None = None
    row: int = -1
    running: bool = False  # processing started (at the first valid sample)
    beats: list[Array] = field(default_factory=list)  # confirmed, not yet taken
    # Heart lanes: the lane of breathing derived from this pulse or ECG, and its derivation row.
    derived: Lane | None = None
    riiv_row: int = -1
    riiv_running: bool = False
    riiv_origin: int = 0  # lane sample index of the derivation's sample 0

    @property
    def end_time(self) -> float:
        """Time of the next sample we have not received."""
        return self.t0 + self.received / self.fs if self.fs else -np.inf

    @property
    def received(self) -> int:
        """Samples received, processed or not (gap fill included)."""
        return self.n + self.pending

    def push(self, signal: Signal) -> int:
        """Queue a chunk continuing this lane (gaps filled, overlaps dropped).

        Returns QUEUED, or FULL when the queue is long enough to be processed
        now (more than `PIECE` seconds, which bounds the memory of a caller
        who pushes but never pulls), or RESTART (nothing queued) when the
        chunk starts after a silence too long to fill: the caller processes
        the queue, calls `restart` and pushes again. Raises ValueError for a
        chunk at another rate or channel count.
        """
        data = np.array(signal.data, dtype=np.float64)  # a copy: callers reuse buffers
        if data.ndim == 0 or data.shape[-1] == 0:
            return QUEUED  # nothing to add (an empty packet says nothing about the layout)
        if self.kind in MULTICHANNEL:
            data = data.reshape(-1, data.shape[-1])
        elif data.ndim > 1:
            data = data.reshape(-1, data.shape[-1])[0]  # single-channel kinds use the first
        if not self.started:
            self.fs = float(signal.rate)
            self.channels = _width(data)
            self.t0 = float(signal.start)
            self.started = True
            self.k_next = self._first_frame(self.t0)
        if signal.rate != self.fs or _width(data) != self.channels:
            raise ValueError(
                f"{self.kind}: chunk at {signal.rate} Hz x {_width(data)} channels continues "
                f"a stream at {self.fs} Hz x {self.channels} channels"
            )
        offset = round((signal.start - self.t0) * self.fs) - self.received
        if offset > MAX_FILL * self.fs:
            return RESTART
        while offset > 0:
            piece = min(offset, int(PIECE * self.fs))
            self.queued.append(np.full((*data.shape[:-1], piece), np.nan))
            self.pending += piece
            offset -= piece
        if offset < 0:
            data = data[..., -offset:]
        if data.shape[-1]:
            self.queued.append(data)
            self.pending += data.shape[-1]
        return FULL if self.pending >= PIECE * self.fs else QUEUED

    def restart(self, start: float) -> None:
        """After a long silence, begin again rather than filling hours with NaN."""
        self.t0, self.n, self.running, self.riiv_running = float(start), 0, False, False
        self.k_next = max(self.k_next, self._first_frame(self.t0))

    def _first_frame(self, t: float) -> int:
        k = int(np.floor(t * self.rate)) - 1
        while np.floor((k / self.rate - t) * self.fs + 1e-6) < 0:
            k += 1
        return max(k, 0)

    def take_queue(self) -> Array | None:
        """Everything queued, as one array (None when nothing is)."""
        if not self.queued:
            return None
        data = self.queued[0] if len(self.queued) == 1 else np.concatenate(self.queued, axis=-1)
        self.queued, self.pending = [], 0
        return data

    def frames(self, m: int) -> tuple[IntArray, IntArray]:
        """Frames completed by the next `m` samples: their numbers and local sample indices.

        Advances `n` and `k_next` (see `frames_of` for many lanes at once).
        """
        positions = frame_positions(self.k_next, self.t0, self.fs, self.n + m, self.rate)
        ks = np.arange(self.k_next, self.k_next + positions.size)
        local = positions - self.n
        self.k_next += positions.size
        self.n += m
        return ks, local

    def add_beats(self, times: Array) -> None:
        if times.size:
            self.beats.append(times)
            if sum(b.size for b in self.beats) > MAX_BEATS:
                self.beats = [np.concatenate(self.beats)[-MAX_BEATS:]]

    def take_beats(self) -> Array:
        """Beat times confirmed since the last call, oldest first.

        Released as soon as confirmed (not held back to the frame clock):
        the heartbeat layer wants them with the least possible delay.
        """
        times = np.concatenate(self.beats) if self.beats else np.zeros(0)
        self.beats = []
        return times


def first_valid(x: Array) -> int:
    """Index of the first sample with any finite, sane channel; -1 when none."""
    good = np.isfinite(x) & (np.abs(x) < ABSURD)
    good_any = good.any(axis=0) if x.ndim > 1 else good
    return int(np.argmax(good_any)) if good_any.any() else -1


def _width(data: Array) -> int:
    return int(data.shape[0]) if data.ndim > 1 else 1


def frames_of(lanes: list[Lane], m: int) -> tuple[BoolArray, IntArray, IntArray]:
    """`Lane.frames` for lanes of one rate, vectorised: which frames the next `m`
    samples complete (mask (lanes, K)), their numbers and their local sample indices.

    Same arithmetic as `frame_positions`: frame k's last sample is
    floor((k / rate - t0) * fs + 1e-6), and a frame is complete when that
    sample is among the first n + m. Advances each lane's `n` and `k_next`.
    """
    fs, rate = lanes[0].fs, lanes[0].rate
    n = np.array([lane.n for lane in lanes], dtype=np.int64)
    t0 = np.array([lane.t0 for lane in lanes])
    k_next = np.array([lane.k_next for lane in lanes], dtype=np.int64)
    width = int(m * rate / fs) + 3
    while True:
        k = k_next[:, None] + np.arange(width)
        last = np.floor((k / rate - t0[:, None]) * fs + 1e-6).astype(np.int64)
        done = last <= (n + m - 1)[:, None]
        if not done[:, -1].any():
            break
        width *= 2
    count = done.sum(axis=1)
    for lane, c in zip(lanes, count.tolist(), strict=True):
        lane.k_next += c
        lane.n += m
    return done, k, last - n[:, None]
