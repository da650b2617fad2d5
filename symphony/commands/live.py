"""`symphony live`: play a performance in real time, with its session log.

Three processes, so Python work never touches the audio (DESIGN.md, fact 2):
the engine (pyo on JACK or PortAudio), this control process (sources,
features, collective, conductor, console), and, with a controller, a MIDI
process that does nothing else.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from symphony.engine.realtime import EngineProcess, RealtimeOptions
from symphony.inputs.sources import open_source
from symphony.live.control import LiveControl, LiveState
from symphony.live.midi_process import MidiProcess
from symphony.live.show_state import ShowBoard, board_size
from symphony.performance.loader import load_performance
from symphony.performance.plan import participant_script


def default_session_path(performance: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path("sessions") / f"{performance.stem}-{stamp}.session"


def status_line(state: LiveState) -> str:
    c = state.collective
    parts = [
        f"{state.time:7.1f} s",
        f"scene {state.scene or '-'}",
        f"next {state.next_scene or '-'}",
        f"people {int(c.get('count', 0))}",
        f"hr {c.get('heart_rate', float('nan')):5.1f}",
        f"arousal {c.get('arousal', float('nan')):.2f}",
        f"breath sync {c.get('breath_sync', float('nan')):.2f}",
        f"beats {state.beats}",
        f"sent {state.sent}",
    ]
    if state.dropped:
        parts.append(f"dropped {state.dropped}")
    return "  ".join(parts)


def run_live(args: argparse.Namespace) -> int:
    performance = load_performance(args.performance)
    spec = performance.spec
    session = args.record or default_session_path(args.performance)
    session.parent.mkdir(parents=True, exist_ok=True)
    options = RealtimeOptions(audio=args.audio, device=args.device, buffer=args.buffer)
    seed = args.seed if args.seed is not None else spec.performance.seed
    engine = EngineProcess(performance.path, options, seed=seed, session=session)
    engine.start()
    started = time.monotonic()

    def clock() -> float:
        return time.monotonic() - started

    stopping = {"now": False}

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    participants = open_source(
        {
            "kind": "simulated",
            "participants": args.participants or spec.participants.count,
            "duration": spec.performance.duration,
            "seed": seed,
            "script": [
                {"at": c.at, "state": c.state, "ramp": c.ramp} for c in participant_script(spec)
            ]
            or [{"state": "calm"}],
        },
        clock,
    )
    control = LiveControl(performance, [participants], engine.send, clock)
    midi: MidiProcess | None = None
    if args.controller is not None:
        ctx = mp.get_context("spawn")
        positions = ctx.Array("d", [math.nan] * len(control.layout), lock=False)
        layers = [layer.name for layer in spec.layers]
        board = ctx.Array("i", board_size(layers), lock=False)
        control.board = ShowBoard(list(spec.scenes), layers, board)
        control.board.clear()
        midi = MidiProcess(
            args.controller,
            performance.path,
            engine.changes,
            positions,
            api=args.midi_api,
            board=board,
        )
        try:
            midi.start()
        except Exception:
            participants.close()
            engine.stop()
            raise
        control.commands = midi.commands
        control.positions = positions
    print(f"symphony live: {spec.performance.title}; session log {session}", file=sys.stderr)
    until = args.duration or spec.performance.duration
    last_status = 0.0
    try:
        while not stopping["now"] and clock() < until:
            control.run(until=min(until, clock() + 1.0), stop=lambda: stopping["now"])
            if clock() - last_status >= 2.0:
                last_status = clock()
                print(status_line(control.state), flush=True)
    finally:
        if midi is not None:
            midi.stop()
        participants.close()
        engine.stop()
    print(f"session log written: {session}", file=sys.stderr)
    return 0
