"""The engine process's own loop: boot, play, notice the audio is gone, rebuild.

This is what runs in the engine process (`EngineProcess` starts it). Its main
thread does nothing while the sound plays but look, every `POLL_SECONDS`,
whether it still does:

- **Playing.** The audio thread runs the `LaneHook`; the main thread writes
  the heartbeat and asks the backend whether the audio is lost (JACK: pyo
  shut its server down; PortAudio: no block for a second). A JACK loss is
  seen within POLL_SECONDS of pyo's own notice (about 11 ms), well inside
  0.1 s.
- **Lost** (or not yet started). The graph is dead with its server; the
  applier keeps the control state (every target's last value, the master's
  slew) and the main thread keeps draining the lanes into it, so nothing
  the control side sends meanwhile is lost or fills the pipes. It retries
  after 1 s, then 2 s, then every 3 s, for ever: when the backend is back it
  boots the server again (`reinit`), assembles the whole graph at the values
  the old one played, marks the rebuild in the session ring and starts; the
  block count and the session log's block indices go on where they were.
- **PortAudio** cannot be recovered in place (pyo's stop blocks for ever on a
  lost device), so the process exits with `EXIT_AUDIO_LOST` and is started
  again by its supervisor, with the control state the control process last
  sent (`EngineJob.restore`).

Without `wait_for_audio` (the live command's start), an audio backend that
is not there at the very first try is an error reported to the parent; once
the show has played, and in a restarted engine, it always waits.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symphony.child import ChildFlags, die_with_parent, orphaned
from symphony.engine.assembly import Engine, EngineSpec, assemble, open_server, server_settings
from symphony.engine.backends import EXIT_AUDIO_LOST, Backend, JackBackend, PortAudioBackend
from symphony.engine.clock import LOST, PLAYING, REBUILDS, STARTING, EngineClock
from symphony.engine.hook import LaneHook
from symphony.engine.lanes import LaneReader
from symphony.engine.pyo_import import load_pyo
from symphony.errors import SymphonyError
from symphony.session.ring import RingWriter, attach_ring

log = logging.getLogger(__name__)
POLL_SECONDS = 0.02
RETRY_SECONDS = (1.0, 2.0, 3.0)  # after a loss: the first tries; then the last, for ever


@dataclass(frozen=True)
class EngineJob:
    """Everything one engine process is started with (picklable)."""

    performance_path: str
    options: Any  # realtime.RealtimeOptions
    seed: int
    parent: int  # the control process's PID
    flags: Any  # child.ChildFlags array
    clock: Any  # engine.clock array
    lanes: tuple[Any, Any]  # read ends: the control lane, the MIDI lane
    errors: Any  # lanes.MessageLane: why the engine could not start
    levels: Any = None  # engine.levels array
    ring_name: str | None = None
    restore: tuple[float, ...] | None = None  # control values to start from (a restart)


def run_engine(job: EngineJob) -> None:
    """Body of the engine process; a failure to start is reported to the parent."""
    die_with_parent(job.parent, "symphony-engine")
    try:
        Serving(job).run()
    except Exception as exc:
        message = str(exc) if isinstance(exc, SymphonyError) else f"{type(exc).__name__}: {exc}"
        job.errors.put(message)
        raise SystemExit(2) from None


def _backend(options: Any, channels: int) -> Backend:
    if options.audio == "jack":
        return JackBackend(channels, tuple(options.connect))
    return PortAudioBackend(options.device)


class Serving:
    """The engine's state machine: starting or lost -> playing -> lost -> playing ..."""

    def __init__(self, job: EngineJob) -> None:
        from symphony.performance.loader import load_performance

        self.job = job
        self.options = job.options
        performance = load_performance(Path(job.performance_path))
        self.es = EngineSpec.of(performance.spec, performance.patches, job.seed, job.options.buffer)
        if job.restore is not None:
            self.es = _restored(self.es, job.restore)
        self.events = self.es.events()
        self.pyo = load_pyo(system_portaudio=self.options.audio == "portaudio")
        self.backend = _backend(self.options, self.es.channels)
        self.flags = ChildFlags(job.flags)
        self.clock = EngineClock(job.clock)
        ring = RingWriter(attach_ring(job.ring_name)) if job.ring_name else None
        self.first_block = self.clock.blocks()
        self.hook: LaneHook | None = None
        self.lanes = LaneReader(job.lanes)
        self.ring = ring
        self.server: Any = None
        self.engine: Engine | None = None
        self.tries = 0
        self.retry_at = 0.0
        self.said = ""
        self.started_at = 0.0  # when the server last started (PortAudio's stall grace)

    def run(self) -> None:
        self.clock.set_state(STARTING)
        first = True
        while not self.flags.stopping():
            orphaned(self.job.parent)
            self.flags.beat()
            now = time.monotonic()
            if self.engine is None:
                if now >= self.retry_at:
                    self._try_start(first)
                    first = False
                elif self.hook is not None:
                    self.hook.drain_between(self.events)
            elif self.backend.lost(self.server, now - self._last_sign_of_audio()):
                self._lose()
            time.sleep(POLL_SECONDS)
        self._shutdown()

    def _last_sign_of_audio(self) -> float:
        """The last block, or the start of the server if it has made none since."""
        return max(self.clock.last_block_at(), self.started_at)

    def _try_start(self, first: bool) -> None:
        why = self.backend.unavailable()
        if why is None and self._boot():
            self._play()
            return
        failed = f"the {self.options.audio} audio backend did not start"
        if first and not self.options.wait_for_audio and self.job.restore is None:
            if self.options.audio == "jack":
                raise SymphonyError(f"{failed} (is the JACK server running?)", where="engine")
            raise SymphonyError(f"{failed}: {why}" if why else failed, where="engine")
        why = why or failed
        if first:
            self.flags.ready()  # serving: waiting for audio is not a failure to start
        if why != self.said:
            print(f"symphony engine: {why}; retrying", file=sys.stderr, flush=True)
            self.said = why
        self.retry_at = time.monotonic() + RETRY_SECONDS[min(self.tries, len(RETRY_SECONDS) - 1)]
        self.tries += 1

    def _boot(self) -> bool:
        pyo = self.pyo
        if self.server is None:
            self.server = open_server(pyo, self.es, self.options.audio, self.options.client_name)
        else:
            settings = server_settings(self.es, self.options.audio, self.options.client_name)
            self.server.reinit(**settings)
            self.server.setVerbosity(1)
        return self.backend.boot(pyo, self.server)

    def _play(self) -> None:
        """Assemble on the booted server (with the state of the last graph) and start."""
        previous = self.hook.applier if self.hook is not None else None
        engine = assemble(self.pyo, self.server, self.es, self.job.levels, previous)
        last = self.clock.last_block_at()
        gap = time.monotonic() - last if last > 0.0 else 0.0
        if self.hook is None:
            self.hook = LaneHook(
                engine.applier, self.lanes, self.job.clock, self.ring, engine.tap, self.first_block
            )
            rebuilt = self.first_block > 0  # a restarted engine process
        else:
            self.hook.drain_between(self.events)
            self.hook.rebound(engine.applier, engine.tap)
            rebuilt = True
        if rebuilt:
            self.hook.mark_rebuilt(gap)
            self.job.clock[REBUILDS] += 1
        self.engine = engine
        self.server.setCallback(self.hook)
        self.started_at = time.monotonic()
        self.server.start()
        self.clock.set_state(PLAYING)
        self.flags.ready()
        if rebuilt:
            print(
                f"symphony engine: audio back after {gap:.1f} s at block {self.hook.block} "
                f"({len(self.es.layout)} control values restored)",
                file=sys.stderr,
                flush=True,
            )
        elif self.said:
            print("symphony engine: audio started", file=sys.stderr, flush=True)
        self.said = ""
        self.tries = 0

    def _lose(self) -> None:
        """The audio is gone: keep the state, drop the dead graph, retry (or hand over)."""
        self.clock.set_state(LOST)
        block = self.hook.block if self.hook is not None else 0
        print(
            f"symphony engine: {self.options.audio} audio lost at block {block}; "
            "retrying every 1 to 3 s",
            file=sys.stderr,
            flush=True,
        )
        if not self.backend.recovers_in_process:
            os._exit(EXIT_AUDIO_LOST)  # pyo's stop would block for ever; a new process waits
        if self.hook is not None:
            self.hook.applier.detach()
            self.hook.levels = None
        self.engine = None  # pyo objects of a dead server: let them go
        self.said = "lost"
        self.tries = 0
        self.retry_at = time.monotonic() + RETRY_SECONDS[0]

    def _shutdown(self) -> None:
        server = self.server
        if server is not None and server.getIsBooted():
            server.stop()
            server.shutdown()


def _restored(es: EngineSpec, values: tuple[float, ...]) -> EngineSpec:
    """An engine spec that starts from the values a crashed engine was playing."""
    targets = es.layout.targets
    initial = list(es.initial)
    for i, v in enumerate(values[: len(initial)]):
        if math.isfinite(v):
            initial[i] = min(targets[i].param.high, max(targets[i].param.low, float(v)))
    return EngineSpec(es.spec, es.patches, es.layout, initial, es.block, es.seed)
