"""Helpers for live shows whose room changes: people who come and go over OSC and LSL.

`Show` runs the real `symphony live` command in a subprocess (engine,
control and MIDI processes) and collects its output. `OscPerson` and
`LslPerson` are participants on the network: each streams a clean pulse
wave at its own heart rate in real time, over symphony's OSC schema
(`/symphony/<participant>/ppg`) or from a real pylsl outlet, until it
stops (the outlet is destroyed: the stream disappears). `OscReceiver` is
a real OSC receiver (python-osc's parser on a UDP socket) that keeps each
datagram's messages together, as the show sent them. Deadlines only turn a
hang into a failure; nothing here times anything.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
from pythonosc.osc_bundle import OscBundle
from pythonosc.osc_message import OscMessage
from pythonosc.udp_client import SimpleUDPClient

from tests.live.show import wait_for

Array = npt.NDArray[np.float64]
PPG_RATE = 64.0  # the OSC schema's default PPG rate, and the LSL outlets' nominal rate
SEND_EVERY = 0.125  # s of signal per message / chunk


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_ppg(bpm: float, seconds: float, rate: float = PPG_RATE, seed: int = 0) -> Array:
    """A pulse wave at exactly `bpm`: a systolic peak and a smaller dicrotic wave per beat."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    period = 60.0 / bpm
    phase = (t + rng.uniform(0, period)) % period
    wave = np.exp(-(((phase - 0.15) / 0.06) ** 2)) + 0.35 * np.exp(-(((phase - 0.38) / 0.08) ** 2))
    out: Array = wave + 0.01 * rng.standard_normal(t.size)
    return out


class _Streamer:
    """A thread that delivers one pulse wave in real time, SEND_EVERY at a time, until stopped."""

    def __init__(self, bpm: float, seed: int) -> None:
        self.wave = clean_ppg(bpm, 600.0, seed=seed)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.sent = 0

    def start(self) -> None:
        self._thread.start()

    def deliver(self, samples: Array) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        began = time.monotonic()
        while not self._stop.is_set():
            due = min(self.wave.size, int((time.monotonic() - began) * PPG_RATE))
            if due > self.sent:
                self.deliver(self.wave[self.sent : due])
                self.sent = due
            self._stop.wait(SEND_EVERY)
        self.closed()

    def closed(self) -> None:
        """After the last sample (an LSL outlet is destroyed here)."""

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)


class OscPerson(_Streamer):
    """A participant sending `/symphony/<who>/ppg f f ...` to the show's OSC port."""

    def __init__(self, who: str, port: int, bpm: float, seed: int = 0) -> None:
        super().__init__(bpm, seed)
        self.path = f"/symphony/{who}/ppg"
        self.client = SimpleUDPClient("127.0.0.1", port)

    def deliver(self, samples: Array) -> None:
        self.client.send_message(self.path, [float(v) for v in samples])


class LslPerson(_Streamer):
    """A participant with a real pylsl PPG outlet: it appears on start, vanishes on stop."""

    def __init__(self, stream: str, bpm: float, seed: int = 0) -> None:
        super().__init__(bpm, seed)
        self.stream = stream
        self.outlet: object | None = None

    def start(self) -> None:
        import pylsl

        info = pylsl.StreamInfo(self.stream, "PPG", 1, PPG_RATE, "float32", f"{self.stream}-id")
        self.outlet = pylsl.StreamOutlet(info)
        super().start()

    def deliver(self, samples: Array) -> None:
        assert self.outlet is not None
        self.outlet.push_chunk([[float(v)] for v in samples])  # type: ignore[attr-defined]

    def closed(self) -> None:
        self.outlet = None  # the outlet is destroyed: the stream disappears from the network


class OscReceiver:
    """A real OSC receiver on a UDP port: every datagram's (address, value) messages."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.datagrams: list[list[tuple[str, float]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            self.datagrams.append(_messages(data))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


def _messages(data: bytes) -> list[tuple[str, float]]:
    if OscBundle.dgram_is_bundle(data):
        out = []
        for part in OscBundle(data):
            out.extend(_messages(part.dgram))
        return out
    message = OscMessage(data)
    return [(message.address, float(message.params[0]))]


class Show:
    """`symphony live PERFORMANCE --no-console --record LOG ...` until `stop()` (SIGINT)."""

    def __init__(self, performance: Path, log: Path, *extra: str) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "symphony.cli", "live", str(performance)),
                *("--duration", "300", "--no-console", "--record", str(log), *extra),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            env={**os.environ},
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def wait_for(self, condition: Callable[[], bool], what: str, deadline: float = 60.0) -> None:
        wait_for(condition, what, deadline, lambda: "\n".join(self.lines[-30:]))

    def wait_started(self) -> None:
        self.wait_for(
            lambda: self.said("session log") or self.proc.poll() is not None, "the show to start"
        )
        assert self.proc.poll() is None, "\n".join(self.lines[-20:])

    def status_lines(self) -> list[str]:
        return [line for line in self.lines if " people " in line and " scene " in line]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(10)
        self._reader.join(10)
        return code

    @property
    def output(self) -> str:
        return "\n".join(self.lines)
