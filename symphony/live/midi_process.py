"""The MIDI process: a controller's messages straight to the engine.

It does nothing else, so the MIDI hot path never waits on a busy Python
process (docs/architecture.md, fact 3): a reader thread drains rtmidi's queue (JACK's
thread never waits for our GIL), parses, routes and puts the resulting values
on the engine's MIDI lane, which the engine drains at its next block. Show
commands (scenes, layers, panic, arbitrated parameters) go to the control
process on a lane of their own. The main thread sends LED feedback: the control
process publishes the active scene and the layers on a shared board
(`show_state.ShowBoard`). A vanished controller is noticed within half a
second by the hot-plug watcher: held notes are released with a fade, and
input and LEDs are reopened by name when it returns (every LED resent); the
sound goes on throughout.

Nothing here is shared with the control process but lanes and lock-free
flags (`symphony.child`, `engine.lanes`): a MIDI process that dies, whenever
it dies, leaves no lock held, and its supervisor starts a new one on the
same lanes while the engine plays on.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import queue
import sys
import threading
import time
from pathlib import Path
from typing import Any

from symphony.child import ChildFlags, ChildProcess, die_with_parent, orphaned
from symphony.engine.lanes import MessageLane
from symphony.errors import SymphonyError

log = logging.getLogger(__name__)
BLOCK_SECONDS = 0.005  # flood accounting period, about one audio block
LED_INTERVAL = 0.05  # seconds between reads of the show board for LED feedback


def run_midi(
    profile_path: str | None,
    performance_path: str,
    engine_changes: Any,
    commands: Any,
    positions: Any,
    api: str,
    parent: int,
    flags: Any,
    errors: Any,
    learn: Any = None,
    board: Any = None,
) -> None:
    die_with_parent(parent, "symphony-midi")  # Ctrl-C, SIGTERM: the control process's
    try:
        _serve(
            profile_path,
            performance_path,
            engine_changes,
            commands,
            positions,
            api,
            _Flags(flags, parent),
            learn,
            board,
        )
    except Exception as exc:
        errors.put(str(exc) if isinstance(exc, SymphonyError) else f"{type(exc).__name__}: {exc}")
        raise SystemExit(2) from None


class _Flags(ChildFlags):
    """The MIDI process's flags; `wait(seconds)` also beats and notices an orphaned process."""

    def __init__(self, array: Any, parent: int) -> None:
        super().__init__(array)
        self.parent = parent

    def wait(self, seconds: float) -> bool:
        """Sleep; whether the process should stop now."""
        self.beat()
        orphaned(self.parent)
        time.sleep(seconds)
        return self.stopping()


def _serve(
    profile_path: str | None,
    performance_path: str,
    engine_changes: Any,
    commands: Any,
    positions: Any,
    api: str,
    flags: _Flags,
    learn: Any = None,
    board: Any = None,
) -> None:
    from symphony.live.midi_router import Router
    from symphony.mapping.layout import ControlLayout
    from symphony.midi.messages import FloodGuard, MidiParser
    from symphony.midi.ports import HotPlugWatcher, MidiInput
    from symphony.midi.profiles import load_profile
    from symphony.performance.loader import load_performance

    performance = load_performance(Path(performance_path))
    layout = ControlLayout(performance.spec, performance.patches)
    if profile_path is None:  # no controller: the default mapping (notes -> one-shots)
        from symphony.live.default_mapping import default_profile, note_bindings

        profile = default_profile(*note_bindings(performance.spec, layout), Path(performance_path))
    else:
        profile = load_profile(profile_path)
    router = Router(
        profile, layout, lambda target: float(positions[target]), macros=performance.spec.macros
    )
    for problem in router.unusable:
        log.warning("controller profile %s: %s (binding ignored)", profile.path, problem)
    parser = MidiParser(profile.parser_config())
    guard = FloodGuard()
    block = {"start": time.monotonic()}
    routing = threading.Lock()  # the MIDI thread and the hot-plug thread share the router

    def dispatch(changes: Any, show: Any) -> None:
        for change in changes:
            with contextlib.suppress(queue.Full):
                engine_changes.put_nowait((change.target, change.value))
        for command in show:
            with contextlib.suppress(queue.Full):
                commands.put_nowait(command)

    def on_message(data: Any) -> None:
        now = time.monotonic()
        if now - block["start"] >= BLOCK_SECONDS:
            guard.new_block()
            block["start"] = now
        if not guard.admit(data):
            return
        if learn is not None and learn.learning.value:
            learn.forward(learning_from(), data)
            return  # while learning, controls teach and do not play
        with routing:
            for event in parser.parse(data):
                dispatch(*router.route(event))
        if learn is not None:
            learn.took(now)

    def learning_from() -> str:
        """The port learn hears: the physical controller (or our own input, without one)."""
        return (
            str(midi.connected_to or midi.wanted) if midi is not None else "symphony-midi:midi_in"
        )

    api_name: Any = api  # "jack" or "alsa", checked by argparse
    midi: Any = None
    if profile_path is None:
        _serve_port(on_message, api, flags)
        return
    midi = MidiInput(
        profile.spec.controller.port,
        on_message,
        api=api_name,
        client_name="symphony-midi",
        queued=True,  # JACK's thread never waits for our GIL (see MidiInput)
    )
    midi.open()
    leds = _open_leds(profile, api_name, performance, board)

    def lost(held: list[tuple[int, int]]) -> None:
        if leds is not None:
            leds.output.mark_lost()  # LEDs wait for the return, then all are resent
        with routing:
            released = sorted(router.held)
            changes, show = router.release_all()
        dispatch(changes, show)
        log.warning(
            "controller '%s' is gone; %d held control(s) released with a fade (%s; notes %s)",
            midi.wanted,
            len(released),
            ", ".join(released) or "none",
            held,
        )
        with contextlib.suppress(queue.Full):
            commands.put_nowait(_command("lost", midi.wanted))

    def back() -> None:
        if leds is not None:
            leds.reconnect()
        with contextlib.suppress(queue.Full):
            commands.put_nowait(_command("returned", midi.wanted))

    watcher = HotPlugWatcher(midi, on_lost=lost, on_return=back)
    watcher.start()
    flags.ready()
    try:
        while not flags.wait(LED_INTERVAL):
            if leds is not None:
                leds.driver.poll()
    finally:
        watcher.stop()
        midi.close()
        if leds is not None:
            leds.output.close()
        print(_flood_summary(profile.spec.controller.name, guard.counts), file=sys.stderr)


def _flood_summary(name: str, counts: dict[str, int]) -> str:
    """One line: what the controller sent over the show, and what was dropped."""
    said = ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in counts.items())
    return f"symphony midi: {name}: {said}"


class _Leds:
    """The controller's LED output and the driver that feeds it from the show board."""

    def __init__(self, output: Any, driver: Any) -> None:
        self.output = output
        self.driver = driver

    def reconnect(self) -> None:
        """After a hot-plug return: reopen by name, then resend every LED."""
        try:
            self.output.open()
        except SymphonyError as exc:
            log.warning("controller LEDs: %s", exc)
        self.driver.request_refresh()


def _open_leds(profile: Any, api: Any, performance: Any, board: Any) -> _Leds | None:
    """Open the LED output, or say why there will be no LEDs (the show goes on)."""
    from symphony.live.show_state import ShowBoard
    from symphony.midi.feedback import LedDriver, LedFeedback
    from symphony.midi.ports import MidiOutput

    if board is None or not any(c.led is not None for c in profile.controls.values()):
        return None
    meta = profile.spec.controller
    output = MidiOutput(meta.output_port or meta.port, api=api, client_name="symphony-leds")
    try:
        output.open()
    except SymphonyError as exc:
        log.warning("controller LEDs off: %s", exc)
    spec = performance.spec
    shared = ShowBoard(list(spec.scenes), [layer.name for layer in spec.layers], board)
    driver = LedDriver(LedFeedback(profile), output.send, shared.read)
    return _Leds(output, driver)


def _serve_port(on_message: Any, api: str, flags: _Flags) -> None:
    """Default mapping: our own input port (symphony-midi:midi_in), no device to watch."""
    from symphony.live.default_mapping import VirtualMidiInput

    port = VirtualMidiInput(on_message, api=api)
    port.open()
    flags.ready()
    try:
        while not flags.wait(LED_INTERVAL):
            pass
    finally:
        port.close()


def _command(kind: str, name: str) -> Any:
    from symphony.live.midi_router import Command

    return Command(kind, name)


class LearnTap:
    """What the MIDI process shares with the console: raw messages while
    learning, and how long the callback took (its part of the MIDI latency).

    Plain shared memory and one lane; the callback's cost when not learning
    is one shared-byte read and two float writes.
    """

    def __init__(self, ctx: Any) -> None:
        self.learning: Any = ctx.Value("b", 0, lock=False)
        self.raw = MessageLane(ctx)
        # [last callback-to-enqueued seconds, largest so far, messages handled]
        self.timing: Any = ctx.Array("d", 3, lock=False)

    def forward(self, port: str, data: Any) -> None:
        with contextlib.suppress(queue.Full, ValueError):  # full, or a message too long
            self.raw.put_nowait((port, list(data)))

    def took(self, started: float) -> None:
        spent = time.monotonic() - started
        timing = self.timing
        timing[0] = spent
        if spent > timing[1]:
            timing[1] = spent
        timing[2] = timing[2] + 1.0


class MidiProcess:
    """The MIDI process for one controller profile (None: the default mapping).

    It is started again on the same lanes after it died (`restart`, from the
    supervisor); `stop` always returns within its deadline.
    """

    name = "midi"

    def __init__(
        self,
        profile: Path | None,
        performance: Path,
        engine_changes: Any,
        positions: Any,
        api: str = "jack",
        board: Any = None,
    ) -> None:
        ctx = mp.get_context("spawn")
        self.commands = MessageLane(ctx)
        self.errors = MessageLane(ctx)
        self.learn = LearnTap(ctx)
        self.profile = profile
        self.performance = performance
        self.engine_changes = engine_changes
        self.positions = positions
        self.api = api
        self.board = board
        self.child = ChildProcess("midi", ctx, self._job)

    def _job(self) -> tuple[Any, tuple[Any, ...]]:
        args = (
            str(self.profile) if self.profile is not None else None,
            str(self.performance),
            self.engine_changes,
            self.commands,
            self.positions,
            self.api,
            os.getpid(),
            self.child.flags,
            self.errors,
            self.learn,
            self.board,
        )
        return run_midi, args

    @property
    def process(self) -> Any:
        return self.child.process

    def start(self, timeout: float = 15.0) -> None:
        self.child.spawn()
        if not self.child.wait_ready(timeout):
            try:
                reason = self.errors.get(timeout=1.0)
            except queue.Empty:
                reason = "the MIDI process did not start"
            self.stop()
            raise SymphonyError(reason)

    def restart(self) -> None:
        if self.child.alive():
            self.child.kill()
        self.learn.learning.value = 0  # a new process starts playing, not learning
        self.child.spawn()

    def alive(self) -> bool:
        return self.child.alive()

    def ready(self) -> bool:
        return self.child.ready()

    def hung(self) -> bool:
        return self.child.ready() and self.child.beat_age() > 5.0

    def failure(self) -> str | None:
        try:
            return str(self.errors.get_nowait())
        except queue.Empty:
            return None

    @property
    def exitcode(self) -> int | None:
        return self.child.exitcode

    def stop(self, timeout: float = 1.0) -> None:
        """Ask the process to end; kill it by PID after `timeout` seconds."""
        self.child.stop(timeout)
