"""Wiring the console to a running show (what `symphony live` calls).

The console runs in a process of its own (see `app`); this module is the
control process's side: it starts that process, sends it a snapshot of the
published state ten times a second, and takes the keys' commands back on
the control loop's own queue. If the console fails, the show goes on.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import multiprocessing as mp
import os
import queue
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symphony.child import Mailbox, SharedFlag
from symphony.console.app import MessageLog, learned_profile_path
from symphony.engine.lanes import MessageLane

log = logging.getLogger(__name__)
PUBLISH_SECONDS = 0.1


@dataclass(frozen=True)
class GaugeSources:
    """What the console process needs to read the show's health (all picklable)."""

    engine_pid: int
    control_pid: int
    midi_pid: int | None
    levels: Any  # the engine's shared level array
    midi_timing: Any  # the MIDI process's shared timing array
    audio: str
    period_ms: float


def run_console(
    performance_path: str,
    duration: float,
    sources: GaugeSources,
    learn_tap: Any,
    profile_path: str | None,
    learned_path: str,
    states: Any,
    commands: Any,
    quit: Any,
    errors: Any,
) -> None:
    """Body of the console process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the control process's to handle
    try:
        from symphony.console.app import Console
        from symphony.performance.loader import load_performance

        spec = load_performance(Path(performance_path)).spec
        gauges, xruns = _gauges(sources)
        learn = _learn(learn_tap, profile_path, Path(learned_path))
        try:
            Console(spec, duration, gauges, states, commands, quit, learn).run()
        finally:
            if xruns is not None:
                xruns.close()
    except Exception as exc:  # the UI may fail; the show must not
        with contextlib.suppress(Exception):
            errors.put_nowait(f"{type(exc).__name__}: {exc}")
        raise SystemExit(2) from None


def _gauges(sources: GaugeSources) -> tuple[Any, Any]:
    from symphony.console.system import XrunCounter
    from symphony.console.view import Gauges

    xruns = None
    period_ms = sources.period_ms
    if sources.audio == "jack":
        try:
            xruns = XrunCounter()
            period_ms = xruns.period_ms
        except Exception:  # no xrun count is no reason to lose the console: "n/a"
            xruns = None
    gauges = Gauges(
        engine_pid=sources.engine_pid,
        control_pid=sources.control_pid,
        midi_pid=sources.midi_pid,
        levels=sources.levels,
        xruns=xruns,
        midi_timing=sources.midi_timing,
        period_ms=period_ms,
    )
    return gauges, xruns


def _learn(tap: Any, profile_path: str | None, out: Path) -> Any:
    if tap is None or profile_path is None:
        return None
    from symphony.console.learning import ConsoleLearn
    from symphony.midi.profiles import load_profile

    profile = load_profile(profile_path)
    return ConsoleLearn(
        tap,
        list(profile.spec.controls),
        profile.spec.controller.port,
        profile.spec.controller.name,
        out,
    )


class ConsoleProcess:
    """The control process's handle on the console."""

    def __init__(
        self,
        performance_path: Path,
        duration: float,
        sources: GaugeSources,
        learn_tap: Any,
        profile_path: Path | None,
        session: Path,
    ) -> None:
        ctx = mp.get_context("spawn")
        # No Queue or Event: a console that dies would leave their locks held
        # (see symphony.child); the latest snapshot, lanes and a lock-free flag.
        self.states = Mailbox(ctx)
        self.commands = MessageLane(ctx)
        self.quit = SharedFlag(ctx)
        self.errors = MessageLane(ctx)
        self.last_publish = -1.0
        self.messages = MessageLog()
        self._saved: list[logging.Handler] = []
        self.process = ctx.Process(
            target=run_console,
            args=(
                str(performance_path),
                duration,
                sources,
                learn_tap,
                None if profile_path is None else str(profile_path),
                str(learned_profile_path(session)),
                self.states,
                self.commands,
                self.quit,
                self.errors,
            ),
            name="symphony-console",
            daemon=True,
        )

    def start(self) -> None:
        # Warnings of this process go to the console's message line, not over the screen.
        root = logging.getLogger()
        self._saved = list(root.handlers)
        for handler in self._saved:
            root.removeHandler(handler)
        root.addHandler(self.messages)
        self.process.start()

    def publish(self, state: Any, now: float) -> None:
        """Send a snapshot, at most ten a second; a slow console misses some, never waits."""
        if now - self.last_publish < PUBLISH_SECONDS:
            return
        self.last_publish = now
        warning = self.messages.last[-1] if self.messages.last else ""
        with contextlib.suppress(queue.Full):
            self.states.put_nowait((copy.copy(state), warning))

    def stop(self) -> str | None:
        """End the console (the terminal is restored by curses); its failure, if any."""
        self.quit.set()
        self.process.join(1.0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(1.0)
        root = logging.getLogger()
        root.removeHandler(self.messages)
        for handler in self._saved:
            root.addHandler(handler)
        try:
            return str(self.errors.get(timeout=0.5))
        except queue.Empty:
            return None


def start_console(
    control: Any,
    engine: Any,
    midi: Any,
    profile_path: Path | None,
    audio: str,
    period_frames: int,
    duration: float,
    session: Path,
    performance_path: Path,
) -> ConsoleProcess:
    rate = control.spec.output.sample_rate
    sources = GaugeSources(
        engine_pid=engine.process.pid,
        control_pid=os.getpid(),
        midi_pid=None if midi is None else midi.process.pid,
        levels=getattr(engine, "levels", None),
        midi_timing=None if midi is None else midi.learn.timing,
        audio=audio,
        period_ms=1000.0 * period_frames / rate,
    )
    console = ConsoleProcess(
        performance_path,
        duration,
        sources,
        None if midi is None else midi.learn,
        profile_path,
        session,
    )
    control.local = console.commands  # the keys arrive where the controller's commands do
    console.start()
    return console


def stop_console(console: ConsoleProcess) -> None:
    failed = console.stop()
    if failed:
        log.warning("the console failed during the show: %s", failed)
