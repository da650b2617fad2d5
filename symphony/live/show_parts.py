"""The pieces of a show that `symphony live` and `symphony play` share.

Both commands run the same three processes (the engine, the control process
that runs this code, and a MIDI process), supervise the children the same
way and end them the same way; only what sits around them differs (the
console and the session log for `live`; the programme, the watchdog and
reloads for `play`). So the MIDI process's start, the supervision step and
the bounded stop live here once.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from symphony.child import CHILDREN_SECONDS, STOP_SECONDS, kill_children
from symphony.engine.realtime import EngineProcess
from symphony.errors import SymphonyError
from symphony.live.control import LiveControl
from symphony.live.default_mapping import describe, note_bindings
from symphony.live.midi_process import MidiProcess
from symphony.live.show_state import ShowBoard, board_size
from symphony.live.supervisor import Supervisor
from symphony.performance.loader import Performance

__all__ = ["CHILDREN_SECONDS", "STOP_SECONDS", "kill_children", "start_midi", "stop_show"]
SUPERVISE_SECONDS = 0.1  # how often the control loop looks at its children


def _warn(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def start_midi(
    controller: Path | None,
    performance: Performance,
    engine: EngineProcess,
    control: LiveControl,
    api: str,
    say: Callable[[str], None] = _warn,
) -> MidiProcess | None:
    """Start the MIDI process and wire it to `control`; None if there is no MIDI to be had
    and no controller was asked for (a show without MIDI still plays)."""
    spec = performance.spec
    ctx = mp.get_context("spawn")
    positions = ctx.Array("d", [math.nan] * len(control.layout), lock=False)
    layers = [layer.name for layer in spec.layers]
    board = ctx.Array("i", board_size(layers), lock=False)
    control.board = ShowBoard(list(spec.scenes), layers, board)  # scene and layers, for LEDs
    control.board.clear()
    midi = MidiProcess(
        controller, performance.path, engine.midi_lane, positions, api=api, board=board
    )
    try:
        midi.start()
    except SymphonyError as exc:
        if controller is not None:
            raise
        say(f"symphony: warning: {exc}; playing on without MIDI input")
        return None
    control.commands = midi.commands
    control.positions = positions
    if controller is None:
        say(f"symphony: {describe(*note_bindings(spec, control.layout))}")
    return midi


def supervision(
    supervisor: Supervisor,
    engine: EngineProcess,
    control: Any,
    say: Callable[[str], None] = _warn,
) -> Callable[[], None]:
    """What the control loop calls at every step: look at the children now and then."""
    due = [0.0]
    rebuilds = [engine.clock.rebuilds]

    def supervise() -> None:
        now = time.monotonic()
        if now < due[0]:
            return
        due[0] = now + SUPERVISE_SECONDS
        for restart in supervisor.poll():
            say(
                f"symphony: the {restart.name} process {restart.why}; starting it again "
                f"({supervisor.restarts + 1} restarts)"
            )
        if engine.clock.rebuilds != rebuilds[0]:  # the engine rebuilt its graph (JACK came back)
            rebuilds[0] = engine.clock.rebuilds
            control.resync()

    return supervise


def stop_show(
    engine: EngineProcess,
    midi: MidiProcess | None,
    console: Any,
    close_sources: Callable[[], None],
    keeping: Any,
    seconds: float = CHILDREN_SECONDS,
) -> None:
    """End every part of the show at once, each with a deadline; never wait longer."""
    until = time.monotonic() + seconds
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
    if keeping is not None:
        keeping.wait(max(0.0, until - time.monotonic()))  # a withdrawal's rewrite, before the end
    engine.close()  # the session log's last lines
    if console is not None:
        from symphony.console.launch import stop_console

        stop_console(console)
    closing.join(max(0.0, until + 0.5 - time.monotonic()))
