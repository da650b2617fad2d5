"""Helpers for tests that play a controller through the whole `symphony live` command.

`LiveShow` runs the real command in a subprocess (engine, control and MIDI
processes) and collects its output lines; `Pads` is a separate JACK client
standing in for the controller: a virtual output port that plays it and a
virtual input port that receives its LED messages, both named like the
device, and both closed together to "unplug" it. Waits have generous
deadlines that only turn a hang into a failure; no test asserts on how long
something took unless the issue sets a bound (hot-plug: 2 s).
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PADS = FIXTURES / "pads.toml"
PADS_PROFILE = FIXTURES / "pads-controller.toml"
DEVICE = "TestPads"
PORT = "TestPads MIDI 1"
DEADLINE = 30.0  # seconds; a guard against hangs, not a measurement


def wait_for(
    condition: Callable[[], bool],
    what: str,
    deadline: float = DEADLINE,
    context: Callable[[], str] | None = None,
) -> None:
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            said = f"\n{context()}" if context is not None else ""
            raise AssertionError(f"gave up waiting for {what}{said}")
        time.sleep(0.02)


class LiveShow:
    """`symphony live PERFORMANCE --controller PROFILE` until `stop()` (SIGINT)."""

    def __init__(self, performance: Path, profile: Path, log: Path, *extra: str) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "symphony.cli",
                "live",
                str(performance),
                "--controller",
                str(profile),
                "--duration",
                "300",
                "--no-console",
                "--record",
                str(log),
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",  # a stray non-UTF-8 byte from a library must not stop the reader
            env={**os.environ},
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(
        self, condition: Callable[[], bool], what: str, deadline: float = DEADLINE
    ) -> None:
        """`wait_for`, with the show's last output in the failure message."""
        wait_for(condition, what, deadline, lambda: "\n".join(self.lines[-30:]))

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def wait_started(self) -> None:
        """Until the engine plays and the MIDI process listens (or the show failed)."""
        wait_for(
            lambda: self.said("symphony live:") or self.proc.poll() is not None,
            "the show to start",
        )
        assert self.proc.poll() is None, "\n".join(self.lines[-20:])

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


class _PadsClient:
    """The controller's two JACK ports, in the controller's own process."""

    def __init__(self) -> None:
        import rtmidi

        self._rtmidi = rtmidi
        self.leds: list[list[int]] = []
        self._lock = threading.Lock()
        self.out: Any = None
        self.led_in: Any = None

    def plug(self) -> None:
        rtmidi = self._rtmidi
        self.led_in = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, name=f"{DEVICE}-leds")
        self.led_in.open_virtual_port(PORT)
        self.led_in.set_callback(self._on_led)
        self.out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name=DEVICE)
        self.out.open_virtual_port(PORT)

    def unplug(self) -> None:
        for midi in (self.out, self.led_in):
            if midi is not None:
                midi.close_port()
                midi.delete()
        self.out = self.led_in = None

    def _on_led(self, message: tuple[list[int], float], _data: object = None) -> None:
        with self._lock:
            self.leds.append(list(message[0]))

    def send(self, messages: list[list[int]], gap: float) -> None:
        for message in messages:
            self.out.send_message(message)
            if gap:
                time.sleep(gap)

    def led_log(self) -> list[list[int]]:
        with self._lock:
            return list(self.leds)

    def clear_leds(self) -> None:
        with self._lock:
            self.leds.clear()


def _pads_main(conn: Any) -> None:
    pads = _PadsClient()
    while True:
        name, args = conn.recv()
        if name == "quit":
            pads.unplug()
            conn.send(None)
            return
        try:
            conn.send(getattr(pads, name)(*args))
        except Exception as exc:  # report to the test, keep serving
            conn.send(exc)


class Pads:
    """The controller: plays on one JACK port and receives its LEDs on another.

    It runs in a process of its own, as a real device is another client: a
    python-rtmidi JACK client opened in the test process while the `Capture`
    client's Python callback runs there can deadlock on the GIL (seen here).
    """

    def __init__(self) -> None:
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_pads_main, args=(child,), daemon=True)
        self._proc.start()
        self.plug()

    def _call(self, name: str, *args: Any) -> Any:
        self._conn.send((name, args))
        if not self._conn.poll(DEADLINE):
            raise AssertionError(f"the controller process did not answer '{name}'")
        result = self._conn.recv()
        if isinstance(result, Exception):
            raise result
        return result

    def plug(self) -> None:
        self._call("plug")

    def unplug(self) -> None:
        self._call("unplug")

    def send(self, *messages: list[int], gap: float = 0.0) -> None:
        self._call("send", list(messages), gap)

    def press(self, note: int, velocity: int = 127) -> None:
        self.send([0x90, note, velocity], [0x80, note, 0], gap=0.02)

    def led_log(self) -> list[list[int]]:
        result: list[list[int]] = self._call("led_log")
        return result

    def clear_leds(self) -> None:
        self._call("clear_leds")

    def lit(self) -> dict[int, bool]:
        """Each LED's latest state, as the device would show it."""
        state: dict[int, bool] = {}
        for status, number, value in self.led_log():
            if status & 0xF0 == 0x90:
                state[number] = value > 0
        return state

    def close(self) -> None:
        if self._proc.is_alive():
            with contextlib.suppress(AssertionError, OSError):
                self._call("quit")
        self._proc.join(10)
        if self._proc.is_alive():
            self._proc.kill()


def tone_level(x: npt.NDArray[np.float32], freq: float, rate: int = 48000) -> float:
    """Amplitude of one sine component, summed over channels: the median over 0.1 s
    windows (Hann-windowed FFT peak), so the odd window that an xrun of the
    loaded dummy driver cut short does not move the answer.

    Each window holds a whole number of the sine's cycles on the sample grid
    (330 and 660 Hz: 4800 samples), so the component sits on an FFT bin.
    """
    grid = rate // math.gcd(rate, round(freq))
    size = max(grid, 4800 // grid * grid)
    count = x.shape[0] // size
    assert count > 0, f"a capture of {x.shape[0]} frames is too short to measure {freq} Hz"
    window = np.hanning(size)
    bin_ = round(freq * size / rate)
    levels = []
    for k in range(count):
        total = 0.0
        for channel in range(x.shape[1]):
            sig = x[k * size : (k + 1) * size, channel].astype(np.float64)
            spectrum = np.abs(np.fft.rfft(sig * window)) / (window.sum() / 2.0)
            total += float(spectrum[max(0, bin_ - 1) : bin_ + 2].max())
        levels.append(total)
    return float(np.median(levels))
