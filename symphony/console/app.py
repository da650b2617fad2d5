"""The curses shell of the console: draws and reads keys, in a process of its own.

Why a process: a console thread in the control process competes with the
control loop for the GIL (measured: benchmarks/console_load.py), and a
terminal that stops reading (a stalled SSH link) must never stall the show.
Every 100 ms the console takes the newest `LiveState` snapshot the control
process sent, builds a `ConsoleView` (pure code in `view`), renders it
(`screen.render`) and copies the lines to the terminal. Keys become the
same commands a MIDI controller sends, queued back to the control loop
(`LiveControl.local`). curses is the standard library's and works over SSH.
"""

from __future__ import annotations

import contextlib
import curses
import locale
import logging
import math
import os
import queue
import time
from collections import deque
from pathlib import Path
from typing import Any

from symphony.collective.intake import ConsentChange
from symphony.console.history import History
from symphony.console.keys import LEARN_KEYS, Action, key_help, keymap, master_after
from symphony.console.learning import ConsoleLearn
from symphony.console.roster import move_selection, selected_or_first
from symphony.console.screen import render
from symphony.console.system import CpuMeter
from symphony.console.view import Gauges, build_view, history_sample
from symphony.live.control import LiveState
from symphony.live.midi_router import Command
from symphony.live.priority import GiveWay
from symphony.performance.schema import PerformanceSpec

FRAME_SECONDS = 0.1
HISTORY_SECONDS = 0.25  # one sparkline column
CPU_SECONDS = 1.0
REPAINT_SECONDS = 5.0  # full repaint: heals what another process printed over us
MESSAGE_SECONDS = 10.0  # how long a key's answer stays on the message line

SPECIAL_KEYS = {
    curses.KEY_UP: "UP",
    curses.KEY_DOWN: "DOWN",
    curses.KEY_PPAGE: "PGUP",
    curses.KEY_NPAGE: "PGDN",
    curses.KEY_ENTER: "ENTER",
    10: "ENTER",
    13: "ENTER",
    27: "ESC",
    3: "q",  # Ctrl-C reaching curses as a key (a terminal in raw mode) still ends the show
}


def key_name(code: int) -> str | None:
    if code in SPECIAL_KEYS:
        return SPECIAL_KEYS[code]
    if 32 <= code < 127:
        return chr(code)
    return None


class MessageLog(logging.Handler):
    """Warnings go to the console's message line instead of over the screen."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.last: deque[str] = deque(maxlen=1)

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            self.last.append(f"{record.levelname.lower()}: {record.getMessage()}")


class Console:
    """The performer console for one running show (in its own process).

    `states` brings (LiveState, last warning) snapshots from the control
    process, `commands` takes the keys' commands back to it, `quit` is set
    by either side to end the console.
    """

    def __init__(
        self,
        spec: PerformanceSpec,
        duration: float,
        gauges: Gauges,
        states: Any,
        commands: Any,
        quit: Any,
        learn: ConsoleLearn | None = None,
    ) -> None:
        self.spec = spec
        self.title = spec.performance.title
        self.duration = duration
        self.gauges = gauges
        self.states = states
        self.commands = commands
        self.learn = learn
        self.keys = keymap(self.spec)
        self.help = key_help(self.spec)
        self.history = History()
        self.quit = quit
        self.state = LiveState()
        self.warning = ""
        self.message = ""
        self.message_at = 0.0
        self.scroll = 0
        self.selected = ""  # the person the withdraw key acts on, as the roster shows them
        self.cpu = {"engine": CpuMeter(gauges.engine_pid), "control": CpuMeter(gauges.control_pid)}
        if gauges.midi_pid is not None:
            self.cpu["midi"] = CpuMeter(gauges.midi_pid)
        self.cpu["console"] = CpuMeter(os.getpid())
        self.cpu_now: dict[str, float | None] = {k: None for k in self.cpu}

    def run(self) -> None:
        os.environ.setdefault("ESCDELAY", "25")  # Esc leaves learn at once, not after 1 s
        try:
            curses.wrapper(self._main)
        finally:
            if self.learn is not None:
                self.learn.stop()

    def _latest(self) -> None:
        """The newest snapshot the control process sent (older ones are dropped)."""
        for _ in range(64):
            try:
                self.state, self.warning = self.states.get_nowait()
            except queue.Empty:
                return
            except (EOFError, OSError):  # the control process is gone
                self.quit.set()
                return

    # ------------------------------------------------------------ the loop

    def _main(self, screen: Any) -> None:
        with contextlib.suppress(curses.error):
            curses.curs_set(0)
        screen.timeout(int(FRAME_SECONDS * 1000))
        screen.keypad(True)
        ascii_only = "utf" not in (locale.getpreferredencoding(False) or "").lower()
        last_history = last_cpu = last_paint = 0.0
        # A frame's work (history, view, curses) is one burst of up to a few
        # ms at SCHED_IDLE: offer the CPU to the audio threads during it.
        courtesy = GiveWay()
        courtesy.install()
        while not self.quit.is_set():
            now = time.monotonic()
            with courtesy:
                self._latest()
                state = self.state
                if now - last_history >= HISTORY_SECONDS:
                    last_history = now
                    self.history.add(history_sample(state))
                if now - last_cpu >= CPU_SECONDS:
                    last_cpu = now
                    self.cpu_now = {name: meter.read() for name, meter in self.cpu.items()}
                if self.learn is not None:
                    self.learn.drain()
                view = build_view(
                    state,
                    self.spec,
                    self.title,
                    self.duration,
                    self.history,
                    self.gauges,
                    self.cpu_now,
                )
                if now - self.message_at > MESSAGE_SECONDS:
                    self.message = ""
                view.message = self.message or self.warning
                view.help = self.help
                view.scroll = self.scroll
                self.selected = selected_or_first(state.roster, self.selected)
                view.selected = self.selected
                view.ascii_only = ascii_only
                if self.learn is not None and self.learn.active:
                    view.learn = self.learn.lines()
                    view.help = self.learn.help
                self._draw(screen, view, repaint=now - last_paint >= REPAINT_SECONDS)
            if now - last_paint >= REPAINT_SECONDS:
                last_paint = now
            code = screen.getch()  # waits up to one frame: this is the pacing
            while code != -1:
                name = key_name(code)
                if name is not None:
                    self.press(name)
                code = screen.getch() if not self.quit.is_set() else -1

    def _draw(self, screen: Any, view: Any, repaint: bool) -> None:
        height, width = screen.getmaxyx()
        lines = render(view, max(1, width - 1), height)
        if repaint:
            screen.clearok(True)
        screen.erase()
        for row, line in enumerate(lines):
            with contextlib.suppress(curses.error):
                attr = curses.A_BOLD if line.isupper() or row == 0 else curses.A_NORMAL
                screen.addstr(row, 0, line, attr)
        screen.refresh()

    # ------------------------------------------------------------ keys

    def press(self, key: str) -> None:
        """One key: in learn mode, a learn step; otherwise a show command."""
        self.message_at = time.monotonic()
        if self.learn is not None and self.learn.active:
            step = LEARN_KEYS.get(key)
            if step is not None:
                self.message = self.learn.key(step)
            return
        action = self.keys.get(key)
        if action is not None:
            self.message = self.act(action)

    def act(self, action: Action) -> str:
        state = self.state
        if action.kind == "quit":
            self.quit.set()
            return "stopping"
        if action.kind == "scroll":
            self.scroll = max(0, self.scroll + int(action.value))
            return ""
        if action.kind == "select":
            self.selected = move_selection(state.roster, self.selected, int(action.value))
            return f"selected {self.selected}" if self.selected else "nobody in the room"
        if action.kind == "withdraw":
            return self._withdraw()
        if action.kind == "learn":
            if self.learn is None:
                return "learn needs a controller: start with --controller PROFILE"
            return self.learn.begin()
        if action.kind == "master":
            current = state.held.get("master.gain_db", state.values.get("master.gain_db", 0.0))
            if state.panic:
                current = -math.inf  # after panic, + starts again from the bottom
            level = master_after(max(current, -60.0), action.value)
            return self._send(Command("master", value=level), f"master {level:.0f} dB")
        if action.kind == "release":
            return self._send(Command("master", value=math.nan), "master back to the show's level")
        if action.kind == "panic":
            return self._send(Command("panic"), "PANIC: fading everything to silence (r: back)")
        if action.kind == "scene":
            return self._send(Command("scene", action.name), f"scene {action.name}")
        if action.kind == "layer":
            muted = action.name in state.muted
            verb = "unmuted" if muted else "muted"
            return self._send(Command("layer", action.name), f"layer {action.name} {verb}")
        return ""

    def _withdraw(self) -> str:
        """The selected person's sound and record consent, withdrawn in one key."""
        who = selected_or_first(self.state.roster, self.selected)
        if not who:
            return "nobody in the room to withdraw"
        change = ConsentChange(who, sound=False, record=False)
        return self._send(change, f"consent of {who} withdrawn: out of the sound, nothing kept")

    def _send(self, command: Command | ConsentChange, said: str) -> str:
        try:
            self.commands.put_nowait(command)
        except queue.Full:
            return "the control loop is busy: key ignored"
        return said


def learned_profile_path(session: Path) -> Path:
    """Where learn in the console writes: beside the show's session log.

    Never over the profile in use (a slip mid-show must not lose it), and
    with the show it was learned in; copy it to hardware/controllers/ to keep.
    """
    return session.with_name(f"{session.stem}-learned.toml")
