"""One incoming signal kind of one participant: chunks in, frame-aligned values out.

`SignalStream` is the bookkeeping shared by all kinds: it accepts chunks of
any size, fills gaps with NaN (so a gap is *bad signal*, not a time warp),
drops samples it has already seen, starts the kind's processor at the first
valid sample, and samples the processor's per-sample outputs at the frame
clock (frame k at k / rate seconds: the value after the last sample at or
before that time). Frames are handed over with `take`, which also reports
frames this stream cannot vouch for as missing (NaN values, quality 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from symphony.features.breath import new_breath_state, process_breath
from symphony.features.derived import RiivState, new_riiv_state, process_riiv
from symphony.features.eda import new_eda_state, process_eda
from symphony.features.eeg import new_eeg_state, process_eeg
from symphony.features.heart import new_heart_state, process_heart
from symphony.features.stream import ABSURD, Array, frame_positions
from symphony.inputs.recording import Signal

_MAX_FILL = 60.0  # s: a longer gap restarts the stream instead of being filled with NaN
_PIECE = 30.0  # s: gaps are filled in pieces of at most this, to bound temporary memory
_MAX_PENDING = 600.0  # s of frames kept for a caller who does not pull; older ones are dropped
_MAX_BEATS = 2048  # beat events kept for a caller who does not pull
_DERIVE_QUALITY = 0.5  # pulse quality needed to derive breathing from it

# Per-sample outputs of one chunk: values by name, and the beat times it confirmed.
Outputs = tuple[dict[str, Array], Array]
Processor = Callable[[Array], Outputs]


def _heart(fs: float, start: float, first: Array) -> Processor:
    state = new_heart_state(fs, start, first)

    def run(x: Array) -> Outputs:
        c = process_heart(state, x)
        return {"hr": c.hr, "rmssd": c.rmssd, "q_heart": c.quality}, c.beats

    return run


def _breath(fs: float, start: float, first: Array) -> Processor:
    state = new_breath_state(fs, start, first)

    def run(x: Array) -> Outputs:
        c = process_breath(state, x)
        values = {"breath_rate": c.rate, "breath_phase": c.phase, "breath_amp": c.depth}
        return {**values, "q_resp": c.quality}, _NONE

    return run


def _eeg(fs: float, start: float, first: Array) -> Processor:
    state = new_eeg_state(fs, first)

    def run(x: Array) -> Outputs:
        c = process_eeg(state, x)
        return {"eeg_ratio": c.ratio, "q_eeg": c.quality}, _NONE

    return run


def _eda(fs: float, start: float, first: Array) -> Processor:
    state = new_eda_state(fs, first)

    def run(x: Array) -> Outputs:
        c = process_eda(state, x)
        return {"eda_level": c.level, "eda_activity": c.activity, "q_eda": c.quality}, _NONE

    return run


_NONE = np.zeros(0)
_MULTICHANNEL = {"eeg"}  # (channels, samples); other kinds are one channel
PROCESSORS: dict[str, Callable[[float, float, Array], Processor]] = {
    "ppg": _heart,
    "resp": _breath,
    "eeg": _eeg,
    "eda": _eda,
}
OUTPUT_NAMES: dict[str, tuple[str, ...]] = {
    "ppg": ("hr", "rmssd", "q_heart"),
    "resp": ("breath_rate", "breath_phase", "breath_amp", "q_resp"),
    "eeg": ("eeg_ratio", "q_eeg"),
    "eda": ("eda_level", "eda_activity", "q_eda"),
}


def missing_value(name: str) -> float:
    """What a frame holds when a stream has nothing to say: quality 0, else unknown."""
    return 0.0 if name.startswith("q_") else np.nan


@dataclass
class SignalStream:
    """Chunks of one signal kind in, frame-aligned per-kind values out."""

    kind: str
    rate: float  # frames per second
    fs: float = 0.0
    channels: int = 0
    t0: float = 0.0  # time of global sample 0
    n: int = 0  # samples processed (including gap fill); `received` adds the queued ones
    k_next: int = 0  # next frame this stream will complete
    processor: Processor | None = None
    pending: list[tuple[int, dict[str, Array]]] = field(default_factory=list)
    beats: list[Array] = field(default_factory=list)  # confirmed, not yet taken
    started: bool = False
    queued: list[Array] = field(default_factory=list)
    # PPG only: a respiration stream derived from the pulse (see derived.py), while
    # the participant has no belt; None when not wanted.
    derived: SignalStream | None = None
    riiv: RiivState | None = None
    riiv_origin: int = 0  # global sample index of the derivation's sample 0

    @property
    def names(self) -> tuple[str, ...]:
        return OUTPUT_NAMES[self.kind]

    @property
    def end_time(self) -> float:
        """Time of the next sample we have not received."""
        return self.t0 + self.received / self.fs if self.fs else -np.inf

    def push(self, signal: Signal) -> None:
        """Queue a chunk continuing this stream (gaps filled, overlaps dropped).

        Processing waits for `flush` (or a few seconds of queued data): a live
        source delivering many small packets between two pulls then costs one
        pass through the filters, not one per packet. Results do not depend
        on it, since processing is chunk-invariant.
        """
        data = np.array(signal.data, dtype=np.float64)  # a copy: callers reuse buffers
        if data.ndim == 0 or data.shape[-1] == 0:
            return  # nothing to add (an empty packet says nothing about the layout)
        if self.kind in _MULTICHANNEL:
            data = data.reshape(-1, data.shape[-1])
        elif data.ndim > 1:
            data = data.reshape(-1, data.shape[-1])[0]  # single-channel kinds use the first
        if not self.started:
            self._begin(signal, data)
        if signal.rate != self.fs or _width(data) != self.channels:
            raise ValueError(
                f"{self.kind}: chunk at {signal.rate} Hz x {_width(data)} channels continues "
                f"a stream at {self.fs} Hz x {self.channels} channels"
            )
        offset = round((signal.start - self.t0) * self.fs) - self.received
        if offset > _MAX_FILL * self.fs:
            self.flush()
            self._restart(signal.start)
            offset = 0
        while offset > 0:
            piece = min(offset, int(_PIECE * self.fs))
            self._queue(np.full((*data.shape[:-1], piece), np.nan))
            offset -= piece
        if offset < 0:
            data = data[..., -offset:]
        if data.shape[-1]:
            self._queue(data)

    @property
    def received(self) -> int:
        """Samples received, processed or not (gap fill included)."""
        return self.n + sum(q.shape[-1] for q in self.queued)

    def _queue(self, data: Array) -> None:
        self.queued.append(data)
        if self.received - self.n >= _PIECE * self.fs:
            self.flush()

    def flush(self) -> None:
        """Process everything queued."""
        if self.queued:
            data = np.concatenate(self.queued, axis=-1)
            self.queued = []
            self._consume(data)

    def _begin(self, signal: Signal, data: Array) -> None:
        self.fs = float(signal.rate)
        self.channels = _width(data)
        self.t0 = float(signal.start)
        self.started = True
        self.k_next = self._first_frame(self.t0)

    def _restart(self, start: float) -> None:
        """After a long silence, begin again rather than filling hours with NaN."""
        self.t0, self.n, self.processor, self.riiv = float(start), 0, None, None
        self.k_next = max(self.k_next, self._first_frame(self.t0))

    def _first_frame(self, t: float) -> int:
        k = int(np.floor(t * self.rate)) - 1
        while np.floor((k / self.rate - t) * self.fs + 1e-6) < 0:
            k += 1
        return max(k, 0)

    def _consume(self, x: Array) -> None:
        m = x.shape[-1]
        values = self._values(x)
        if self.derived is not None:
            # Breathing is only read from pulse the heart stage believes (no motion).
            self._derive(np.where(values["q_heart"] >= _DERIVE_QUALITY, x, np.nan))
        positions = frame_positions(self.k_next, self.t0, self.fs, self.n + m, self.rate)
        local = positions - self.n
        if positions.size:
            frames = {name: v[local] for name, v in values.items()}
            self.pending.append((self.k_next, frames))
            self.k_next += positions.size
            self._drop_old_frames()
        self.n += m

    def _derive(self, x: Array) -> None:
        """Feed the pulse-derived respiration stream, from the first valid sample on."""
        assert self.derived is not None
        start = 0
        if self.riiv is None:
            good = np.flatnonzero(np.isfinite(x) & (np.abs(x) < ABSURD))
            if not good.size:
                return
            start = int(good[0])
            self.riiv = new_riiv_state(self.fs, float(x[start]))
            self.riiv_origin = self.n + start
        first, y = process_riiv(self.riiv, x[start:])
        if y.size:
            t = self.t0 + (self.riiv_origin + first) / self.fs
            self.derived.push(Signal("resp", self.riiv.rate, y, "au", t))

    def _drop_old_frames(self) -> None:
        """Keep at most `_MAX_PENDING` seconds of unpulled frames (bounded memory)."""
        oldest = self.k_next - int(_MAX_PENDING * self.rate)
        if self.pending and self.pending[0][0] < oldest:
            self.take(oldest, oldest)

    def _values(self, x: Array) -> dict[str, Array]:
        """Per-sample outputs; samples before the first valid one are unknown."""
        m = x.shape[-1]
        out = {name: np.full(m, missing_value(name)) for name in self.names}
        start = 0
        if self.processor is None:
            good = np.isfinite(x) & (np.abs(x) < ABSURD)
            good_any = good.any(axis=0) if x.ndim > 1 else good
            if not good_any.any():
                return out
            start = int(np.argmax(good_any))
            t_start = self.t0 + (self.n + start) / self.fs
            self.processor = PROCESSORS[self.kind](self.fs, t_start, x[..., start])
        values, beats = self.processor(x[..., start:])
        for name, v in values.items():
            out[name][start:] = v
        if beats.size:
            self.beats.append(beats)
            if sum(b.size for b in self.beats) > _MAX_BEATS:
                self.beats = [np.concatenate(self.beats)[-_MAX_BEATS:]]
        return out

    def take(self, k_from: int, k_to: int) -> dict[str, Array]:
        """Values for frames [k_from, k_to); frames not (yet) covered are missing."""
        size = max(k_to - k_from, 0)
        out = {name: np.full(size, missing_value(name)) for name in self.names}
        keep: list[tuple[int, dict[str, Array]]] = []
        for k0, frames in self.pending:
            k1 = k0 + len(next(iter(frames.values())))
            lo, hi = max(k0, k_from), min(k1, k_to)
            if hi > lo:
                for name in self.names:
                    out[name][lo - k_from : hi - k_from] = frames[name][lo - k0 : hi - k0]
            if k1 > k_to:
                cut = max(k_to - k0, 0)
                keep.append((k0 + cut, {nm: v[cut:] for nm, v in frames.items()}))
        self.pending = keep
        return out

    def take_beats(self) -> Array:
        """Beat times confirmed since the last call, oldest first.

        Released as soon as confirmed (not held back to the frame clock):
        the heartbeat layer wants them with the least possible delay.
        """
        times = np.concatenate(self.beats) if self.beats else _NONE
        self.beats = []
        return times


def _width(data: Array) -> int:
    return int(data.shape[0]) if data.ndim > 1 else 1
