"""`symphony play` in a subprocess for tests, and a systemd notify socket to listen on.

`Play` runs the real command (engine, control and MIDI processes) and
collects its JSON log lines; `NotifySocket` is a real unix datagram socket
given to it as $NOTIFY_SOCKET, recording every message with its arrival
time. Waits have generous deadlines that only turn a hang into a failure.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "performances" / "sanctuary-mini.toml"
PATCH = ROOT / "tests" / "fixtures" / "patches" / "tone.py"
DEADLINE = 60.0


def sanctuary_copy(folder: Path, **replace: str) -> Path:
    """The fixture, written into `folder` (its patch by absolute path), with replacements."""
    text = FIXTURE.read_text().replace('"../patches/tone.py"', f'"{PATCH}"')
    for old, new in replace.items():
        text = text.replace(old, new)
    path = folder / "sanctuary.toml"
    path.write_text(text)
    return path


class NotifySocket:
    """A systemd-style notify socket: (time, message) for every datagram."""

    def __init__(self, folder: Path) -> None:
        self.path = str(folder / "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.1)
        self.messages: list[tuple[float, str]] = []
        self.running = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while self.running:
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.messages.append((time.monotonic(), data.decode(errors="replace")))

    def times(self, field: str, after: float = 0.0, before: float = float("inf")) -> list[float]:
        return [
            t for t, m in list(self.messages) if field in m.split("\n") and after <= t <= before
        ]

    def close(self) -> None:
        self.running = False
        self.thread.join(2)
        self.sock.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Play:
    """`symphony play PERFORMANCE` until `terminate()`."""

    def __init__(
        self, performance: Path, log: Path, *extra: str, env: dict[str, str] | None = None
    ):
        self.log = log
        if "--http" not in extra:  # never the default port: other players may be running
            extra = (*extra, "--http", f"127.0.0.1:{free_port()}")
        self.lines: list[str] = []
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "symphony.cli",
                "play",
                str(performance),
                "--log",
                str(log),
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            env={**os.environ, **(env or {})},
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        """The JSON log file's events (all, or those called `name`)."""
        if not self.log.is_file():
            return []
        out = []
        for line in self.log.read_text().splitlines():
            data = json.loads(line)
            if name is None or data["event"] == name:
                out.append(data)
        return out

    def said_event(self, name: str) -> bool:
        return bool(self.events(name))

    def wait_for(
        self, condition: Callable[[], bool], what: str, deadline: float = DEADLINE
    ) -> float:
        end = time.monotonic() + deadline
        while not condition():
            if time.monotonic() > end or (self.proc.poll() is not None and not condition()):
                raise AssertionError(f"gave up waiting for {what}:\n" + "\n".join(self.lines[-30:]))
            time.sleep(0.02)
        return time.monotonic()

    def child(self, name: str) -> int | None:
        """The PID of the player's child process called `name` (its /proc comm)."""
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue
            comm = text[text.index("(") + 1 : text.rindex(")")]
            ppid = int(text[text.rindex(")") + 2 :].split()[1])
            if comm == name and ppid == self.proc.pid:
                return int(stat.parent.name)
        return None

    def signal(self, signum: int) -> float:
        self.proc.send_signal(signum)
        return time.monotonic()

    def terminate(self) -> tuple[int, float]:
        """SIGTERM; (exit status, seconds it took)."""
        sent = self.signal(signal.SIGTERM)
        try:
            code = self.proc.wait(DEADLINE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(10)
        took = time.monotonic() - sent
        self.reader.join(10)
        return code, took

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
