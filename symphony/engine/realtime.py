"""Realtime driver: the control process's handle on the engine process.

The engine runs in a process of its own, because pyo holds the GIL for every
audio block and any other Python work in its process ruins latency
(docs/architecture.md, fact 2); its loop is `engine.serve`, its graph the one every
driver assembles (`engine.assembly`). This side owns everything that must
outlive one engine process, so that a dead engine can be started again
without touching the rest of the show:

- the lanes (`engine.lanes`): control changes as (target, value, consent
  tag), and the MIDI process's lane, pipes with no lock a dying process
  could hold; a full lane drops a change instead of waiting;
- the engine's clock (`engine.clock`): blocks played and the time of the
  last one, for a watchdog, and its state (starting, playing, lost);
- the level array (`engine.levels`) and the session ring and writer
  (`session.log`), so a restarted engine goes on with the same log;
- the last value sent to every target (`state`), which a restarted engine
  starts from.

`restart()` starts a new engine process without waiting (see
`live.supervisor`); `stop()` always returns within its deadline.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import queue
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from symphony.child import ChildProcess
from symphony.engine.assembly import EngineSpec
from symphony.engine.clock import EngineClock, clock_array
from symphony.engine.lanes import ChangeLane, LaneReader, MessageLane, widen
from symphony.engine.levels import SLOTS as LEVEL_SLOTS
from symphony.engine.serve import EngineJob, run_engine
from symphony.errors import SymphonyError
from symphony.mapping.layout import ControlLayout
from symphony.session.log import Resolve, SessionHeader, SessionWriter, performance_hash
from symphony.session.ring import RingReader, RingView, create_ring

AudioBackend = Literal["jack", "portaudio"]
HUNG_SECONDS = 10.0  # an engine whose main loop has not beaten for this long is hung

__all__ = ["AudioBackend", "ChangeLane", "EngineProcess", "RealtimeOptions", "session_header"]


@dataclass(frozen=True)
class RealtimeOptions:
    audio: AudioBackend = "jack"
    device: str | None = None  # PortAudio output device, by case-insensitive substring
    client_name: str = "symphony"
    buffer: int | None = None  # frames; default: the performance's block size
    # True: an audio server or device missing at the very start is waited for
    # (retried every 1 to 3 s) instead of failing the start.
    wait_for_audio: bool = False
    # JACK: ports to connect the outputs to, output i to connect[i % len] (e.g.
    # ("system:playback_1", "system:playback_2")); made again after every rebuild.
    connect: tuple[str, ...] = ()


class EngineProcess:
    """Start the realtime engine in its own process and send it control changes.

    With `session`, every change the engine applies is logged there with its
    block index, by a writer thread in this (the control) process; `resolve`
    decides what a change becomes in the log (see `session.log`).
    """

    name = "engine"

    def __init__(
        self,
        performance_path: Path,
        options: RealtimeOptions | None = None,
        seed: int = 0,
        session: Path | None = None,
        resolve: Resolve | None = None,
    ) -> None:
        from symphony.performance.loader import load_performance

        ctx = mp.get_context("spawn")
        self.performance_path = Path(performance_path)
        self.options = options or RealtimeOptions()
        self.seed = seed
        performance = load_performance(self.performance_path)
        es = EngineSpec.of(performance.spec, performance.patches, seed, self.options.buffer)
        self.state = list(es.initial)  # the last value sent to every target
        self.ring: RingView | None = None
        self.writer: SessionWriter | None = None
        if session is not None:
            self.ring = create_ring()
            header = session_header(self.performance_path, self.options, seed)
            self.writer = SessionWriter(session, header, RingReader(self.ring), resolve)
        control_read, control_write = ctx.Pipe(duplex=False)
        midi_read, midi_write = ctx.Pipe(duplex=False)
        widen(control_write)
        widen(midi_write)
        self.lane = ChangeLane(control_write)
        self.midi_lane = ChangeLane(midi_write)  # for the MIDI process (see engine.lanes)
        self._reads = (control_read, midi_read)
        self.errors = MessageLane(ctx)
        # Output peak and short-term loudness, written by the engine (engine.levels).
        self.levels: Any = ctx.Array("d", LEVEL_SLOTS, lock=False)
        self.clock = EngineClock(clock_array(ctx))
        self.child = ChildProcess("engine", ctx, self._job)
        self._restore = False
        self.dropped = 0

    def _job(self) -> tuple[Any, tuple[Any, ...]]:
        import os

        job = EngineJob(
            performance_path=str(self.performance_path),
            options=self.options,
            seed=self.seed,
            parent=os.getpid(),
            flags=self.child.flags,
            clock=self.clock.array,
            lanes=self._reads,
            errors=self.errors,
            levels=self.levels,
            ring_name=self.ring.name if self.ring is not None else None,
            restore=tuple(self.state) if self._restore else None,
        )
        return run_engine, (job,)

    @property
    def process(self) -> Any:
        return self.child.process

    def spawn(self) -> None:
        """Start the engine process without waiting (`start` then waits for it): the
        caller can do its own imports meanwhile (the player's first sound comes sooner)."""
        self.child.spawn()
        self._spawned = True

    def start(self, timeout: float = 20.0) -> None:
        """Start the engine and wait until it serves; raise its own error if it cannot."""
        if not getattr(self, "_spawned", False):
            self.child.spawn()
        self._spawned = False
        if not self.child.wait_ready(timeout):
            failed = not self.child.alive()
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

    def preset(self, target: int, value: float) -> None:
        """Before `start`: the engine's first block plays `target` at `value`, not at
        the performance's initial value (the player's fade-in starts the master low)."""
        self.state[target] = float(value)
        self._restore = True

    def restart(self) -> None:
        """Start a new engine process (the old one is dead) from the last values sent.

        Changes still in the lanes were meant for the dead engine: dropped, so a
        burst of stale triggers does not play at once. Does not wait.
        """
        if self.child.alive():
            self.child.kill()
        LaneReader(self._reads).discard()
        self._restore = True
        self.child.spawn()

    def send(self, target: int, value: float, tag: int = 0) -> bool:
        """Send one change with its consent tag (0: ordinary); if the engine is behind,
        drop it rather than wait."""
        if tag < 0:
            raise ValueError(f"a consent tag is an int >= 0, not {tag}")
        v = float(value)
        if math.isfinite(v) and 0 <= target < len(self.state):
            self.state[target] = v
        if self.lane.put(target, v, tag):
            return True
        self.dropped += 1
        return False

    # Supervision (live.supervisor): cheap checks, called often.
    def alive(self) -> bool:
        return self.child.alive()

    def ready(self) -> bool:
        return self.child.ready()

    def hung(self) -> bool:
        return self.child.ready() and self.child.beat_age() > HUNG_SECONDS

    @property
    def exitcode(self) -> int | None:
        return self.child.exitcode

    def failure(self) -> str | None:
        """The engine's own last error message, if it reported one."""
        try:
            return str(self.errors.get_nowait())
        except queue.Empty:
            return None

    def stop(self, timeout: float = 1.5) -> None:
        """Stop the engine (killed after `timeout` s), close the log. Bounded."""
        self.child.stop(timeout)
        self.close()

    def close(self) -> None:
        """After the engine process ended: the session log's last lines, the ring."""
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
