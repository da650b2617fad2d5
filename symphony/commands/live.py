"""`symphony live`: play a performance in real time, with its session log.

Three processes, so Python work never touches the audio (docs/architecture.md, fact 2):
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
import faulthandler
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from symphony.child import exit_now
from symphony.engine.realtime import EngineProcess, RealtimeOptions
from symphony.errors import SymphonyError
from symphony.live.collective_out import CollectiveOut
from symphony.live.control import LiveControl
from symphony.live.priority import GiveWay, shield_threads, yield_to_audio
from symphony.live.show_parts import (
    STOP_SECONDS,
    kill_children,
    start_midi,
    stop_show,
    supervision,
)
from symphony.live.show_status import LiveState, roster_summary
from symphony.live.supervisor import Supervisor
from symphony.performance.loader import load_performance
from symphony.performance.schema import OscOutputSpec
from symphony.performance.sources import anyone_consents, consent_of, live_sources
from symphony.session.keeping import Keeping
from symphony.session.signals import SignalRecorder, signals_folder


def default_session_path(performance: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path("sessions") / f"{performance.stem}-{stamp}.session"


def status_line(state: LiveState) -> str:
    # Only what may be kept: a value someone without `record` consent carries shows as nan.
    c = {k: v for k, v in state.collective.items() if k not in state.unkept}
    nan = float("nan")
    parts = [
        f"{state.time:7.1f} s",
        f"scene {state.scene or '-'}",
        f"next {state.next_scene or '-'}",
        f"people {roster_summary(state.counts)}",
        f"hr {c.get('heart_rate', nan):5.1f}",
        f"arousal {c.get('arousal', nan):.2f}",
        f"breath sync {c.get('breath_sync', nan):.2f}",
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
    duration = args.duration or spec.performance.duration
    sources, problems = live_sources(
        spec, performance.path, args.participants, seed, clock, duration
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
    outputs = open_outputs(spec.outputs, control)
    control.outputs = outputs
    control.ledger = keeping.attach(control.book, engine.writer, recorder)

    def close_sources() -> None:
        if recorder is not None:  # first: consenting people's last samples, to disk
            recorder.close()
        if outputs is not None:
            outputs.close()
        for source in sources:
            source.close()

    try:
        midi = start_midi(args.controller, performance, engine, control, args.midi_api)
    except Exception:
        close_sources()
        engine.stop()
        raise
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
    supervise = supervision(supervisor, engine, control)

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
        stop_show(engine, midi, console, close_sources, keeping)
        kill_children()
        faulthandler.cancel_dump_traceback_later()
    print(f"session log written: {session}", file=sys.stderr)
    exit_now(0)  # every child has ended or been killed, the log is closed (child.exit_now)
    return 0


def open_outputs(specs: list[OscOutputSpec], control: LiveControl) -> CollectiveOut | None:
    """The performance's `[[outputs]]` (the room over OSC), or None without any."""
    if not specs:
        return None

    for spec in specs:
        print(f"symphony live: collective out to {spec.host}:{spec.port}", file=sys.stderr)
    return CollectiveOut(specs, lambda participant: control.book.get(participant).record)
