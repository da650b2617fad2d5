"""Single keys from the terminal without curses (for `symphony learn`).

On a terminal, cbreak mode gives each key at once (no Enter needed) and is
always restored on exit; from a pipe (a script), each byte is a key. Enter
and Escape get names, like the console's keys.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import termios
import tty
from collections.abc import Iterator
from typing import TextIO

NAMES = {"\r": "ENTER", "\n": "ENTER", "\x1b": "ESC", "\x7f": "BACKSPACE", "\x04": "EOF"}


class Keyboard:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdin
        self.fd = self.stream.fileno()
        self.closed = False

    def keys(self, timeout: float) -> list[str]:
        """Keys typed within `timeout` seconds (empty if none); "EOF" once at the end."""
        if self.closed:
            return []
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return []
        data = os.read(self.fd, 64)
        if not data:
            self.closed = True
            return ["EOF"]
        return [NAMES.get(ch, ch) for ch in data.decode(errors="replace")]


@contextlib.contextmanager
def single_keys(stream: TextIO | None = None) -> Iterator[Keyboard]:
    keyboard = Keyboard(stream)
    if not os.isatty(keyboard.fd):
        yield keyboard
        return
    saved = termios.tcgetattr(keyboard.fd)
    try:
        tty.setcbreak(keyboard.fd)
        yield keyboard
    finally:
        termios.tcsetattr(keyboard.fd, termios.TCSADRAIN, saved)
