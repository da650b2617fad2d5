"""Realtime driver: the same graph and applier, played on JACK or PortAudio.

The engine runs in a process of its own (`EngineProcess`), because pyo holds
the GIL for every audio block and any other Python work in its process ruins
latency (DESIGN.md, fact 2). Control changes arrive through a bounded queue
as (target, value) pairs; the per-block hook drains what is there without
ever waiting, so a stalled or crashed control side leaves the sound playing
on its last values.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import signal as os_signal
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any, Literal

from symphony.engine.graph import build_graph
from symphony.engine.hook import ControlApplier
from symphony.engine.levels import SLOTS as LEVEL_SLOTS
from symphony.engine.levels import build_level_tap
from symphony.engine.pyo_import import load_pyo
from symphony.engine.thread_state import keep_thread_state
from symphony.errors import SymphonyError
from symphony.mapping.layout import ControlLayout
from symphony.session.log import SessionHeader, SessionWriter, performance_hash
from symphony.session.ring import RingReader, RingView, RingWriter, attach_ring, create_ring

AudioBackend = Literal["jack", "portaudio"]
MAX_CHANGES_PER_BLOCK = 512  # bounded work per block, whatever floods the queue


@dataclass(frozen=True)
class RealtimeOptions:
    audio: AudioBackend = "jack"
    device: str | None = None  # PortAudio output device, by case-insensitive substring
    client_name: str = "symphony"
    buffer: int | None = None  # frames; default: the performance's block size


def _portaudio_device(pyo: Any, wanted: str) -> int:
    names, indexes = pyo.pa_get_output_devices()
    for name, index in zip(names, indexes, strict=False):
        if wanted.lower() in str(name).lower():
            return int(index)
    listing = ", ".join(str(n) for n in names) or "none"
    raise SymphonyError(
        f"no audio output device matching '{wanted}'", where="portaudio", expected=listing
    )


_CHANGE = struct.Struct("<id")  # (target, value): 12 bytes, one atomic pipe write


class ChangeLane:
    """The MIDI hot path into the engine: (target, value) written straight into a pipe.

    A `multiprocessing.Queue` hands each item to a feeder thread that pickles
    and writes it later; on the MIDI hot path that is one more thread wake-up
    (at normal priority, even when JACK runs the MIDI callback in realtime),
    so a note could miss the engine's next block. Here the caller's own thread
    writes 16 bytes, atomically (far below PIPE_BUF), to a non-blocking pipe:
    nothing to wake, and a full pipe (engine gone or stalled) drops the change
    (`queue.Full`, as the queue's put_nowait) instead of blocking the MIDI
    thread. Same interface as the queue, so the MIDI process takes either.
    """

    def __init__(self, writer: Any) -> None:
        self.writer = writer
        self._nonblocking = False

    def put_nowait(self, change: tuple[int, float]) -> None:
        if not self._nonblocking:  # in the process that writes (after unpickling)
            os.set_blocking(self.writer.fileno(), False)
            self._nonblocking = True
        try:
            self.writer.send_bytes(_CHANGE.pack(int(change[0]), float(change[1])))
        except BlockingIOError:
            raise queue.Full from None


class QueueHook:
    """Per-block hook: drain pending changes (never blocking), tick the master gain.

    Changes come from the control process's queue and, with `lane` (the read
    end of a `ChangeLane`), from the MIDI process; the lane is read after the
    queue, so within one block the performer's move has the last word.
    With a session ring, each applied change is stored with its block index
    (shared memory only: the file is written by another process).
    """

    def __init__(
        self,
        applier: ControlApplier,
        changes: Any,
        ring: RingWriter | None = None,
        levels: Callable[[], None] | None = None,
        lane: Any = None,
    ) -> None:
        self.applier = applier
        self.changes = changes
        self.ring = ring
        self.levels = levels  # the output level tap (symphony.engine.levels)
        self.lane = lane
        self.block = 0

    def __call__(self) -> None:
        if self.block == 0:
            keep_thread_state()  # no thread state built and torn down per block (see module)
        get = self.changes.get_nowait
        apply = self.applier.apply
        ring = self.ring
        block = self.block
        for _ in range(MAX_CHANGES_PER_BLOCK):
            try:
                target, value = get()
            except queue.Empty:
                break
            applied = apply(target, value)
            if ring is not None:
                ring.record(block, target, applied)
        lane = self.lane
        if lane is not None:
            for _ in range(MAX_CHANGES_PER_BLOCK):
                if not lane.poll():
                    break
                target, value = _CHANGE.unpack(lane.recv_bytes())
                applied = apply(target, value)
                if ring is not None:
                    ring.record(block, target, applied)
        self.applier.tick_master()
        self.block = block + 1
        if ring is not None:
            ring.played(block + 1)
        if self.levels is not None:
            self.levels()


def run_engine(
    performance_path: str,
    options: RealtimeOptions,
    changes: Any,
    ready: EventType,
    stop: EventType,
    seed: int,
    errors: Any,
    ring_name: str | None = None,
    levels: Any = None,
    lane: Any = None,
) -> None:
    """Body of the engine process; a failure to start is reported to the parent."""
    # Ctrl-C in the terminal reaches every process of the show; the control
    # process handles it and stops the engine through `stop`, cleanly.
    os_signal.signal(os_signal.SIGINT, os_signal.SIG_IGN)
    try:
        _play(performance_path, options, changes, ready, stop, seed, ring_name, levels, lane)
    except Exception as exc:
        errors.put(str(exc) if isinstance(exc, SymphonyError) else f"{type(exc).__name__}: {exc}")
        raise SystemExit(2) from None


def _play(
    performance_path: str,
    options: RealtimeOptions,
    changes: Any,
    ready: EventType,
    stop: EventType,
    seed: int,
    ring_name: str | None,
    levels: Any = None,
    lane: Any = None,
) -> None:
    from symphony.performance.loader import load_performance

    performance = load_performance(Path(performance_path))
    spec = performance.spec
    layout = ControlLayout(spec, performance.patches)
    initial = layout.initial_values(spec, spec.output)
    pyo = load_pyo()
    out = spec.output
    kwargs: dict[str, Any] = {}
    if options.audio == "jack":
        kwargs["jackname"] = options.client_name
    server = pyo.Server(
        sr=out.sample_rate,
        nchnls=out.channels,
        buffersize=options.buffer or out.block_size,
        duplex=0,
        audio=options.audio,
        **kwargs,
    )
    server.setVerbosity(1)
    if options.audio == "jack":
        server.setJackAuto(False, False)
    elif options.device is not None:
        server.setOutputDevice(_portaudio_device(pyo, options.device))
    server.boot()
    if not server.getIsBooted():
        hint = " (is the JACK server running?)" if options.audio == "jack" else ""
        raise SymphonyError(
            f"the {options.audio} audio backend did not start{hint}", where="engine"
        )
    if options.audio == "jack":
        server.setJackOutputPortNames([f"out_{i + 1}" for i in range(out.channels)])
    server.setGlobalSeed(seed)
    graph = build_graph(pyo, spec, performance.patches, layout, initial, out.sample_rate, seed)
    for channel, signal in enumerate(graph.master.outputs):
        signal.out(chnl=channel)
    block_seconds = (options.buffer or out.block_size) / out.sample_rate
    applier = ControlApplier(
        graph.setters,
        [t.param.low for t in layout.targets],
        [t.param.high for t in layout.targets],
        initial,
        [t.name for t in layout.targets],
        graph.master_gain_index,
        out.max_gain_rise_db_per_s * block_seconds,
    )
    ring = RingWriter(attach_ring(ring_name)) if ring_name else None
    tap = None
    if levels is not None:
        block = options.buffer or out.block_size
        tap = build_level_tap(pyo, graph.master.outputs, out.sample_rate, block, levels)
    server.setCallback(QueueHook(applier, changes, ring, tap, lane))
    server.start()
    ready.set()
    try:
        stop.wait()
    finally:
        server.stop()
        server.shutdown()


class EngineProcess:
    """Start the realtime engine in its own process and send it control changes.

    With `session`, every change the engine applies is logged there with its
    block index, by a writer thread in this (the control) process.
    """

    def __init__(
        self,
        performance_path: Path,
        options: RealtimeOptions | None = None,
        seed: int = 0,
        session: Path | None = None,
    ) -> None:
        ctx = mp.get_context("spawn")
        options = options or RealtimeOptions()
        self.ring: RingView | None = None
        self.writer: SessionWriter | None = None
        if session is not None:
            self.ring = create_ring()
            self.writer = SessionWriter(
                session,
                session_header(performance_path, options, seed),
                RingReader(self.ring),
            )
        self.changes: Any = ctx.Queue(maxsize=65536)
        lane_reader, lane_writer = ctx.Pipe(duplex=False)
        self.midi_lane = ChangeLane(lane_writer)  # for the MIDI process (see ChangeLane)
        self.ready = ctx.Event()
        self.stopping = ctx.Event()
        self.errors: Any = ctx.Queue()
        # Output peak and short-term loudness, written by the engine (engine.levels).
        self.levels: Any = ctx.Array("d", LEVEL_SLOTS, lock=False)
        self.process = ctx.Process(
            target=run_engine,
            args=(
                str(performance_path),
                options,
                self.changes,
                self.ready,
                self.stopping,
                seed,
                self.errors,
                self.ring.name if self.ring else None,
                self.levels,
                lane_reader,
            ),
            name="symphony-engine",
            daemon=True,
        )
        self.dropped = 0

    def start(self, timeout: float = 20.0) -> None:
        """Start the engine and wait until it plays; raise its own error if it cannot."""
        self.process.start()
        deadline = time.monotonic() + timeout
        while not self.ready.wait(0.05):
            failed = not self.process.is_alive()
            if failed or time.monotonic() > deadline:
                where: str | None = None  # the engine's own message names where
                try:
                    reason = self.errors.get(timeout=1.0 if failed else 0.0)
                except queue.Empty:
                    reason = f"the audio engine did not start within {timeout:g} s"
                    where = "engine"
                self.stop()
                raise SymphonyError(reason, where=where)
        if self.writer is not None:
            self.writer.start()

    def send(self, target: int, value: float) -> bool:
        """Queue one change; if the engine is behind, drop it rather than wait."""
        try:
            self.changes.put_nowait((int(target), float(value)))
            return True
        except queue.Full:
            self.dropped += 1
            return False

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout)
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if self.ring is not None:
            self.ring.close()
            self.ring.shm.unlink()
            self.ring = None


def session_header(performance_path: Path, options: RealtimeOptions, seed: int) -> SessionHeader:
    """What a re-render needs to know about the show, taken before it starts."""
    from symphony.performance.loader import load_performance

    performance = load_performance(performance_path)
    spec = performance.spec
    layout = ControlLayout(spec, performance.patches)
    return SessionHeader(
        performance=str(performance.path),
        performance_hash=performance_hash(performance.path),
        seed=seed,
        sample_rate=spec.output.sample_rate,
        block_size=options.buffer or spec.output.block_size,
        channels=spec.output.channels,
        targets=[t.name for t in layout.targets],
        started=time.time(),
    )
