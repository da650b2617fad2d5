"""A command run in a real pseudo-terminal, its screen read through pyte.

pyte is a terminal emulator: the test sees the screen a person would see
(after every cursor move and partial update curses makes), not the raw
escape-code stream. Waits are bounded by a deadline that only turns a hang
into a failure; nothing asserts on how long anything took.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Sequence

import pyte

DEADLINE = 60.0


def _own_terminal() -> None:
    """In the child: a session of its own with the pty as its controlling terminal,
    so Ctrl-C typed into it raises SIGINT as in a real terminal."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    def __init__(
        self,
        argv: Sequence[str],
        columns: int = 160,
        lines: int = 60,
        env: dict[str, str] | None = None,
    ) -> None:
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)
        self.lock = threading.Lock()
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        self.master = master
        self.process = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={
                # curses prefers LINES/COLUMNS to the pty's size: a parent's (a pytest
                # worker's) would shrink the screen, so only the pty says how big it is
                **{k: v for k, v in os.environ.items() if k not in ("LINES", "COLUMNS")},
                "TERM": "xterm-256color",
                "LANG": "C.UTF-8",
                "LC_ALL": "C.UTF-8",
                **(env or {}),  # the test's own settings win
            },
            preexec_fn=_own_terminal,
        )
        os.close(slave)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.stream.feed(data)

    def text(self) -> str:
        with self.lock:
            return "\n".join(line.rstrip() for line in self.screen.display)

    def wait_for(self, text: str, deadline: float = DEADLINE) -> str:
        end = time.monotonic() + deadline
        while True:
            screen = self.text()
            if text in screen:
                return screen
            if time.monotonic() > end or self.process.poll() is not None:
                raise AssertionError(f"the screen never showed {text!r}; it shows:\n{screen}")
            time.sleep(0.05)

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def wait(self, timeout: float = DEADLINE) -> int:
        code = self.process.wait(timeout)
        self.reader.join(5)
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        with contextlib.suppress(OSError):
            os.close(self.master)
