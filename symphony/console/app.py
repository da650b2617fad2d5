"""The curses shell of the console: a thread that draws and reads keys.

It runs in the control process beside the control loop and never blocks
it: every 100 ms it takes a snapshot of the published `LiveState`, builds
a `ConsoleView` (pure code in `view`), renders it (`screen.render`) and
copies the lines to the terminal. Keys become the same commands a MIDI
controller sends, put on the control loop's own queue (`LiveControl.local`).
curses is the standard library's and works over SSH.
"""

from __future__ import annotations

import contextlib
import curses
import locale
import logging
import math
import os
import queue
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from symphony.console.history import History
from symphony.console.keys import LEARN_KEYS, Action, key_help, keymap, master_after
from symphony.console.learning import ConsoleLearn
from symphony.console.screen import render
from symphony.console.system import CpuMeter
from symphony.console.view import Gauges, build_view, history_sample
from symphony.live.midi_router import Command

FRAME_SECONDS = 0.1
HISTORY_SECONDS = 0.25  # one sparkline column
CPU_SECONDS = 1.0
REPAINT_SECONDS = 5.0  # full repaint: heals what another process printed over us

SPECIAL_KEYS = {
    curses.KEY_UP: "UP",
    curses.KEY_DOWN: "DOWN",
    curses.KEY_PPAGE: "PGUP",
    curses.KEY_NPAGE: "PGDN",
    curses.KEY_ENTER: "ENTER",
    10: "ENTER",
    13: "ENTER",
    27: "ESC",
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
    """The performer console for one running show."""

    def __init__(
        self,
        control: Any,
        title: str,
        duration: float,
        gauges: Gauges,
        learn: ConsoleLearn | None = None,
    ) -> None:
        self.control = control
        self.spec = control.spec
        self.title = title
        self.duration = duration
        self.gauges = gauges
        self.learn = learn
        self.keys = keymap(self.spec)
        self.help = key_help(self.spec)
        self.history = History()
        self.quit = threading.Event()
        self.message = ""
        self.scroll = 0
        self.failed: str | None = None
        self._thread = threading.Thread(target=self._run, name="symphony-console", daemon=True)
        self._log = MessageLog()
        self._saved_handlers: list[logging.Handler] = []
        self.cpu = {"engine": CpuMeter(gauges.engine_pid), "control": CpuMeter(os.getpid())}
        if gauges.midi_pid is not None:
            self.cpu["midi"] = CpuMeter(gauges.midi_pid)
        self.cpu_now: dict[str, float | None] = {k: None for k in self.cpu}

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        root = logging.getLogger()
        self._saved_handlers = list(root.handlers)
        for handler in self._saved_handlers:
            root.removeHandler(handler)
        root.addHandler(self._log)
        self._thread.start()

    def stop(self) -> None:
        self.quit.set()
        self._thread.join(5.0)
        if self.learn is not None:
            self.learn.stop()
        root = logging.getLogger()
        root.removeHandler(self._log)
        for handler in self._saved_handlers:
            root.addHandler(handler)

    def _run(self) -> None:
        os.environ.setdefault("ESCDELAY", "25")  # Esc leaves learn at once, not after 1 s
        try:
            curses.wrapper(self._main)
        except Exception as exc:  # the UI may fail; the show must not
            self.failed = f"{type(exc).__name__}: {exc}"
            logging.getLogger(__name__).warning("console stopped: %s", self.failed)

    # ------------------------------------------------------------ the loop

    def _main(self, screen: Any) -> None:
        with contextlib.suppress(curses.error):
            curses.curs_set(0)
        screen.timeout(int(FRAME_SECONDS * 1000))
        screen.keypad(True)
        ascii_only = "utf" not in (locale.getpreferredencoding(False) or "").lower()
        last_history = last_cpu = last_paint = 0.0
        while not self.quit.is_set():
            now = time.monotonic()
            state = self.control.state
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
            view.message = self.message or (self._log.last[-1] if self._log.last else "")
            view.help = self.help
            view.scroll = self.scroll
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
        if self.learn is not None and self.learn.active:
            step = LEARN_KEYS.get(key)
            if step is not None:
                self.message = self.learn.key(step)
            return
        action = self.keys.get(key)
        if action is not None:
            self.message = self.act(action)

    def act(self, action: Action) -> str:
        state = self.control.state
        if action.kind == "quit":
            self.quit.set()
            return "stopping"
        if action.kind == "scroll":
            self.scroll = max(0, self.scroll + int(action.value))
            return ""
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

    def _send(self, command: Command, said: str) -> str:
        try:
            self.control.local.put_nowait(command)
        except queue.Full:
            return "the control loop is busy: key ignored"
        return said


def learned_profile_path(session: Path) -> Path:
    """Where learn in the console writes: beside the show's session log.

    Never over the profile in use (a slip mid-show must not lose it), and
    with the show it was learned in; copy it to hardware/controllers/ to keep.
    """
    return session.with_name(f"{session.stem}-learned.toml")
