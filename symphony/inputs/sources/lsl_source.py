"""Lab Streaming Layer inlets as a live source, several streams at once.

Each selected stream (by name, type or source_id) gets a reader thread that
resolves it, opens an inlet, applies `time_correction()` so remote stamps land
on this machine's LSL clock, and maps them onto the show clock. When the
stream is lost (the outlet's app quits, the network drops, or nothing arrives
for `stall_timeout` seconds) the thread closes the inlet and resolves again
after 0.5, 1, 2, 4, 8, 8 ... seconds, so an outlet that comes back (even as a
new outlet with the same name) is picked up within about 10 s.

Which channels carry which signal comes from a sensor profile (signals whose
`lsl_type` matches the stream type), else from the stream type itself (EEG,
PPG, ECG, EDA/GSR, RESP).

Spec keys: kind = "lsl", name, streams = [{name | type | source_id,
participant, profile}], profile (default for all streams), resolve_timeout,
stall_timeout.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from symphony.inputs.profiles import SensorProfile, load_profile
from symphony.inputs.recording import Signal
from symphony.inputs.source import SignalChunk, SourceStatus
from symphony.inputs.sources.common import Backoff, Clock, check_spec, drain, monotonic_clock
from symphony.inputs.sources.osc_buffer import Stamper

log = logging.getLogger(__name__)

DEFAULT_TYPES = {
    "eeg": ("eeg", "uV"),
    "ppg": ("ppg", "au"),
    "ecg": ("ecg", "uV"),
    "eda": ("eda", "uS"),
    "gsr": ("eda", "uS"),
    "resp": ("resp", "au"),
    "respiration": ("resp", "au"),
}
_PULL_INTERVAL = 0.05
_GRID_TOLERANCE = 0.25  # s: a chunk further from the grid than this re-anchors it (a gap)


class StreamSelector(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    type: str | None = None
    source_id: str | None = None
    participant: str | None = None
    profile: str | None = None

    @model_validator(mode="after")
    def _one_property(self) -> StreamSelector:
        if sum(v is not None for v in (self.name, self.type, self.source_id)) != 1:
            raise ValueError("give exactly one of name, type or source_id")
        return self

    @property
    def prop(self) -> tuple[str, str]:
        for key in ("name", "type", "source_id"):
            value = getattr(self, key)
            if value is not None:
                return key, value
        raise AssertionError("validated above")


class LslSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = "lsl"
    name: str = "lsl"
    streams: list[StreamSelector] = Field(min_length=1)
    profile: str | None = None
    resolve_timeout: float = Field(default=1.0, gt=0)
    stall_timeout: float = Field(default=5.0, gt=0)


@dataclass(frozen=True)
class LslRoute:
    """Channels of a stream that make one signal."""

    kind: str
    channels: tuple[int, ...]
    unit: str
    scale: float = 1.0


def lsl_routes(
    stream_type: str, n_channels: int, labels: list[str], profile: SensorProfile | None
) -> list[LslRoute]:
    """Which channels of a stream carry which signal kind (pure)."""
    routes: list[LslRoute] = []
    if profile is not None:
        for s in profile.signals:
            if s.lsl_type is None or s.lsl_type.lower() != stream_type.lower():
                continue
            picked = [c for c in s.channels if c < n_channels]
            if not picked and s.labels:
                picked = [labels.index(lb) for lb in s.labels if lb in labels]
            if not picked:
                picked = list(range(n_channels))
            if s.kind != "eeg":
                picked = picked[:1]
            routes.append(LslRoute(s.kind, tuple(picked), s.unit, s.scale))
        return routes
    known = DEFAULT_TYPES.get(stream_type.lower())
    if known is None or n_channels == 0:
        return []
    kind, unit = known
    channels = tuple(range(n_channels)) if kind == "eeg" else (0,)
    return [LslRoute(kind, channels, unit)]


def signals_from_chunk(
    samples: Any, stamps: Any, rate: float, routes: list[LslRoute], offset: float
) -> list[Signal]:
    """Signals from one pulled chunk (n_samples x n_channels); `offset` maps stamps to show time."""
    data = np.asarray(samples, dtype=np.float64)
    if data.ndim != 2 or data.shape[0] == 0:
        return []
    start = float(stamps[0]) + offset
    out = []
    for route in routes:
        values = data[:, list(route.channels)].T * route.scale
        payload = values if route.kind == "eeg" else values[0]
        out.append(Signal(route.kind, rate, np.ascontiguousarray(payload), route.unit, start))
    return out


def _channel_labels(info: Any) -> list[str]:
    labels = []
    channel = info.desc().child("channels").child("channel")
    for _ in range(info.channel_count()):
        labels.append(channel.child_value("label"))
        channel = channel.next_sibling()
    return labels


class _StreamReader:
    """One selected stream: resolve, read, lose, resolve again."""

    def __init__(self, owner: LslSource, selector: StreamSelector) -> None:
        self.owner = owner
        self.selector = selector
        self.prop, self.value = selector.prop
        self.participant = selector.participant or self.value
        name = selector.profile or owner.spec.profile
        self.profile = load_profile(name) if name else None
        self.backoff = Backoff()
        self.connected = False
        self.thread = threading.Thread(target=self.run, name=f"lsl-{self.value}", daemon=True)

    def run(self) -> None:
        import pylsl

        stop = self.owner.stop_event
        while not stop.is_set():
            infos = pylsl.resolve_byprop(
                self.prop, self.value, minimum=1, timeout=self.owner.spec.resolve_timeout
            )
            if not infos:
                self.fail(f"no LSL stream with {self.prop} '{self.value}'")
                continue
            inlet = pylsl.StreamInlet(infos[0], max_buflen=30, recover=False)
            try:
                self.read(inlet)
            except Exception as exc:  # a lost stream becomes a status, then a re-resolve
                reason = str(exc) or type(exc).__name__
                self.fail(f"LSL stream {self.prop} '{self.value}' lost: {reason}")
            finally:
                self.connected = False
                inlet.close_stream()

    def read(self, inlet: Any) -> None:
        import pylsl

        info = inlet.info(timeout=2.0)
        rate = float(info.nominal_srate())
        if rate <= 0:
            raise ValueError("irregular stream (nominal rate 0); expected a fixed rate")
        routes = lsl_routes(info.type(), info.channel_count(), _channel_labels(info), self.profile)
        if not routes:
            raise ValueError(f"no signal kind for stream type '{info.type()}'")
        inlet.open_stream(timeout=2.0)
        correction = inlet.time_correction(timeout=2.0)
        self.owner.connected(self)
        self.backoff.reset()
        last_data = last_correction = time.monotonic()
        grid = Stamper(rate, tolerance=_GRID_TOLERANCE)
        stop = self.owner.stop_event
        while not stop.wait(_PULL_INTERVAL):
            samples, stamps = inlet.pull_chunk(timeout=0.0, max_samples=4096)
            now = time.monotonic()
            if now - last_correction > 5.0:
                correction = inlet.time_correction(timeout=1.0)
                last_correction = now
            if not stamps:
                if now - last_data > self.owner.spec.stall_timeout:
                    raise TimeoutError(f"no data for {self.owner.spec.stall_timeout:g} s")
                continue
            last_data = now
            offset = correction + self.owner.clock() - pylsl.local_clock()
            # Lay chunks end to end on the nominal rate's grid: stamps jitter by a
            # few ms, and the features read a one-sample overlap or gap as bad signal.
            end = float(stamps[-1]) + offset + 1.0 / rate
            offset = grid.place(len(stamps), end) - float(stamps[0])
            for signal in signals_from_chunk(samples, stamps, rate, routes, offset):
                self.owner.deliver(SignalChunk(self.participant, signal))

    def fail(self, message: str) -> None:
        delay = self.backoff.delay()
        self.owner.failed(message, delay)
        self.owner.stop_event.wait(delay)


class LslSource:
    """Several LSL streams as one source (see module docstring)."""

    def __init__(self, spec: LslSpec, clock: Clock | None = None) -> None:
        self.name = spec.name
        self.spec = spec
        self.clock = clock or monotonic_clock()
        self.stop_event = threading.Event()
        self._queue: queue.SimpleQueue[SignalChunk] = queue.SimpleQueue()
        self._status = SourceStatus(self.name)
        self._lock = threading.Lock()
        self._ever_connected: set[int] = set()
        self._readers = [_StreamReader(self, s) for s in spec.streams]

    def open(self) -> None:
        self.stop_event.clear()
        for reader in self._readers:
            if not reader.thread.is_alive():
                reader.thread.start()

    def poll(self) -> list[SignalChunk]:
        return drain(self._queue)

    def status(self) -> SourceStatus:
        with self._lock:
            status = SourceStatus(**vars(self._status))
        status.connected = all(r.connected for r in self._readers)
        return status

    def close(self) -> None:
        self.stop_event.set()
        for reader in self._readers:
            if reader.thread.is_alive():
                reader.thread.join(timeout=10.0)

    # -- called from reader threads -------------------------------------------

    def deliver(self, chunk: SignalChunk) -> None:
        self._queue.put(chunk)
        with self._lock:
            end = chunk.signal.start + chunk.signal.duration
            self._status.last_data = max(self._status.last_data or end, end)

    def connected(self, reader: _StreamReader) -> None:
        reader.connected = True
        with self._lock:
            if id(reader) in self._ever_connected:
                self._status.reconnects += 1
            self._ever_connected.add(id(reader))
            if all(r.connected for r in self._readers):
                self._status.error = None
                self._status.next_retry = None
        log.info("%s: LSL stream %s '%s' connected", self.name, reader.prop, reader.value)

    def failed(self, message: str, delay: float) -> None:
        with self._lock:
            first_report = self._status.error != message
            self._status.error = message
            self._status.next_retry = time.monotonic() + delay
        if first_report:
            log.warning("%s: %s; retrying in %.1f s", self.name, message, delay)


def from_spec(spec: dict[str, Any], clock: Clock | None = None) -> LslSource:
    checked = check_spec(LslSpec, spec, f"source '{spec.get('name', 'lsl')}'")
    return LslSource(checked, clock)
