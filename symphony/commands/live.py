"""`symphony live`: play a performance in real time, with its session log.

Three processes, so Python work never touches the audio (DESIGN.md, fact 2):
the engine (pyo on JACK or PortAudio), this control process (sources,
features, collective, conductor, console), and a MIDI process that does
nothing else (with a controller profile, or the default mapping).

This process supervises the other two (`live.supervisor`): one that dies or
hangs is started again while the rest plays on, and a new engine gets the
whole control state (`LiveControl.resync`). SIGTERM or Ctrl-C ends the show
within `STOP_SECONDS` whatever the children do: every child is asked to stop
and killed by PID at a deadline, and a last backstop (faulthandler's timer,
which needs no Python thread to run) prints where the process is stuck and
ends it, should anything still block the way out.
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import math
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from symphony.engine.realtime import EngineProcess, RealtimeOptions
from symphony.errors import SymphonyError
from symphony.live.control import LiveControl
from symphony.live.default_mapping import describe, note_bindings
from symphony.live.midi_process import MidiProcess
from symphony.live.priority import GiveWay, shield_threads, yield_to_audio
from symphony.live.show_state import ShowBoard, board_size
from symphony.live.show_status import LiveState, roster_summary
from symphony.live.supervisor import Supervisor
from symphony.performance.loader import load_performance
from symphony.performance.sources import anyone_consents, consent_of, live_sources
from symphony.session.keeping import Keeping
from symphony.session.signals import SignalRecorder, signals_folder

STOP_SECONDS = 3.0  # SIGTERM (or Ctrl-C) to exit, at most
CHILDREN_SECONDS = 1.2  # for the engine and MIDI processes to end before they are killed
SUPERVISE_SECONDS = 0.1  # how often the control loop looks at its children


def default_session_path(performance: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path("sessions") / f"{performance.stem}-{stamp}.session"


def status_line(state: LiveState) -> str:
    c = state.collective
    parts = [
        f"{state.time:7.1f} s",
        f"scene {state.scene or '-'}",
        f"next {state.next_scene or '-'}",
        f"people {roster_summary(state.counts)}",
        f"hr {c.get('heart_rate', float('nan')):5.1f}",
        f"arousal {c.get('arousal', float('nan')):.2f}",
        f"breath sync {c.get('breath_sync', float('nan')):.2f}",
        f"beats {state.beats}",
        f"sent {state.sent}",
    ]
    if state.dropped:
        parts.append(f"dropped {state.dropped}")
    if state.calibrating:
        parts.append(state.calibrating)
    return "  ".join(parts)


def _check_options(args: argparse.Namespace) -> None:
    """Odd options answered before any process starts (the engine takes seconds)."""
    if args.buffer is not None and not 16 <= args.buffer <= 8192:
        raise SymphonyError(
            f"an audio block of {args.buffer} frames", where="--buffer", expected="16 to 8192"
        )
    if args.controller is not None:
        from symphony.midi.profiles import load_profile

        load_profile(args.controller)  # a missing or broken profile: its own one line


def run_live(args: argparse.Namespace) -> int:
    performance = load_performance(args.performance)
    spec = performance.spec
    session = args.record or default_session_path(args.performance)
    if session.is_file() and session.stat().st_size > 0:
        # Appending a second show would interleave two shows in one log that no
        # longer re-renders; refuse before anything starts, and touch nothing.
        raise SymphonyError(
            "this session log already holds a show; nothing was written",
            where=session,
            expected="a new --record path (or none: sessions/NAME-TIME.session)",
        )
    _check_options(args)
    session.parent.mkdir(parents=True, exist_ok=True)
    options = RealtimeOptions(audio=args.audio, device=args.device, buffer=args.buffer)
    seed = args.seed if args.seed is not None else spec.performance.seed
    keeping = Keeping()  # consent on disk: resolves the log's tagged changes
    engine = EngineProcess(
        performance.path, options, seed=seed, session=session, resolve=keeping.resolve
    )
    engine.start()
    started = time.monotonic()

    def clock() -> float:
        return time.monotonic() - started

    stopping = {"now": False}

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if not stopping["now"]:
            # The backstop: whatever blocks the way out, the process ends in time.
            faulthandler.dump_traceback_later(STOP_SECONDS - 0.3, exit=True)
        stopping["now"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    shield_threads()  # the source threads never see GiveWay's timer signal
    sources, problems = live_sources(
        performance, args.participants, seed, clock, args.duration or spec.performance.duration
    )
    for problem in problems:
        print(f"symphony: warning: {problem}", file=sys.stderr)
    rehearsal = args.participants is not None or not spec.sources
    control = LiveControl(performance, sources, engine.send, clock, rehearsal=rehearsal)
    recorder = None
    if not rehearsal and anyone_consents(spec):
        by_source = consent_of(spec)

        def may_keep(source: str, participant: str) -> bool:
            # The performance's grant, and still now: a withdrawal stops it at once.
            return by_source(source, participant) and control.book.get(participant).record

        recorder = SignalRecorder(signals_folder(session), may_keep)
        print(f"raw signals of consenting participants: {recorder.folder}", file=sys.stderr)
    control.recorder = recorder
    control.ledger = keeping.attach(control.book, engine.writer, recorder)

    def close_sources() -> None:
        if recorder is not None:  # first: consenting people's last samples, to disk
            recorder.close()
        for source in sources:
            source.close()

    midi: MidiProcess | None = None
    ctx = mp.get_context("spawn")
    positions = ctx.Array("d", [math.nan] * len(control.layout), lock=False)
    layers = [layer.name for layer in spec.layers]
    board = ctx.Array("i", board_size(layers), lock=False)
    control.board = ShowBoard(list(spec.scenes), layers, board)  # scene and layers, for LEDs
    control.board.clear()
    midi = MidiProcess(
        args.controller,
        performance.path,
        engine.midi_lane,
        positions,
        api=args.midi_api,
        board=board,
    )
    try:
        midi.start()
    except Exception as exc:
        if args.controller is None and isinstance(exc, SymphonyError):
            # No controller asked for: a show without MIDI still plays.
            print(f"symphony: warning: {exc}; playing on without MIDI input", file=sys.stderr)
            midi = None
        else:
            close_sources()
            engine.stop()
            raise
    if midi is not None:
        control.commands = midi.commands
        control.positions = positions
        if args.controller is None:
            mapping = describe(*note_bindings(spec, control.layout))
            print(f"symphony live: {mapping}", file=sys.stderr)
    yield_to_audio()  # from here on the audio threads win every contest for the CPU
    courtesy = GiveWay()
    if courtesy.install():  # and get the CPU back within GIVE_WAY_EVERY of asking
        control.courtesy = courtesy
    print(f"symphony live: {spec.performance.title}; session log {session}", file=sys.stderr)
    until = args.duration or spec.performance.duration
    last_status = 0.0
    console = None
    if not args.no_console and sys.stdout.isatty():
        from symphony.console.launch import start_console, stop_console

        block = args.buffer or spec.output.block_size
        console = start_console(
            control,
            engine,
            midi,
            args.controller,
            args.audio,
            block,
            until,
            session,
            performance.path,
        )

    supervisor = Supervisor()
    supervisor.watch(engine, on_ready=control.resync)  # a new engine gets the whole state
    if midi is not None:
        supervisor.watch(midi)
    supervise = _supervision(supervisor, engine, control)

    def stop() -> bool:
        supervise()
        return stopping["now"] or (console is not None and console.quit.is_set())

    try:
        while not stop() and clock() < until:
            chunk = 1.0 if console is None else 0.1  # the console gets ten snapshots a second
            control.run(until=min(until, clock() + chunk), stop=stop)
            if console is not None:
                console.publish(control.state, clock())
                if not console.process.is_alive():  # the UI failed: status lines, show goes on
                    stop_console(console)
                    console = None
            elif clock() - last_status >= 2.0:
                last_status = clock()
                print(status_line(control.state), flush=True)
    finally:
        faulthandler.dump_traceback_later(STOP_SECONDS, exit=True)  # Ctrl-D, q, the end too
        _stop_show(engine, midi, console, close_sources, keeping)
        faulthandler.cancel_dump_traceback_later()
    print(f"session log written: {session}", file=sys.stderr)
    return 0


def _supervision(supervisor: Supervisor, engine: EngineProcess, control: Any) -> Callable[[], None]:
    """What the control loop calls at every step: look at the children now and then."""
    due = [0.0]
    rebuilds = [engine.clock.rebuilds]

    def supervise() -> None:
        now = time.monotonic()
        if now < due[0]:
            return
        due[0] = now + SUPERVISE_SECONDS
        for restart in supervisor.poll():
            print(
                f"symphony live: the {restart.name} process {restart.why}; starting it again "
                f"({supervisor.restarts + 1} restarts)",
                file=sys.stderr,
                flush=True,
            )
        if engine.clock.rebuilds != rebuilds[0]:  # the engine rebuilt its graph (JACK came back)
            rebuilds[0] = engine.clock.rebuilds
            control.resync()

    return supervise


def _stop_show(
    engine: EngineProcess,
    midi: MidiProcess | None,
    console: Any,
    close_sources: Callable[[], None],
    keeping: Keeping,
) -> None:
    """End every part of the show at once, each with a deadline; never wait longer."""
    until = time.monotonic() + CHILDREN_SECONDS
    engine.child.ask_stop()
    if midi is not None:
        midi.child.ask_stop()
    if console is not None:
        console.quit.set()
    closing = threading.Thread(target=close_sources, name="close-sources", daemon=True)
    closing.start()  # a source's device may take its time to let go: not on the way out
    if midi is not None:
        midi.child.finish(until)
    engine.child.finish(until)
    keeping.wait(max(0.0, until - time.monotonic()))  # a withdrawal's rewrite, before the end
    engine.close()  # the session log's last lines
    if console is not None:
        from symphony.console.launch import stop_console

        stop_console(console)
    closing.join(max(0.0, until + 0.5 - time.monotonic()))
    for child in mp.active_children():  # anything else we started: by PID, now
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid or 0, signal.SIGKILL)
        child.join(0.5)
