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


def wait_for(condition: Callable[[], bool], what: str, deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


class LiveShow:
    """`symphony live PERFORMANCE --controller PROFILE` until `stop()` (SIGINT)."""

    def __init__(self, performance: Path, profile: Path, log: Path) -> None:
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
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
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


class Pads:
    """The controller: plays on one JACK port and receives its LEDs on another."""

    def __init__(self) -> None:
        import rtmidi

        self._rtmidi = rtmidi
        self.leds: list[list[int]] = []
        self._lock = threading.Lock()
        self.out: Any = None
        self.led_in: Any = None
        self.plug()

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

    def send(self, *messages: list[int], gap: float = 0.0) -> None:
        for message in messages:
            self.out.send_message(message)
            if gap:
                time.sleep(gap)

    def press(self, note: int, velocity: int = 127) -> None:
        self.send([0x90, note, velocity], [0x80, note, 0], gap=0.02)

    def led_log(self) -> list[list[int]]:
        with self._lock:
            return list(self.leds)

    def clear_leds(self) -> None:
        with self._lock:
            self.leds.clear()

    def lit(self) -> dict[int, bool]:
        """Each LED's latest state, as the device would show it."""
        state: dict[int, bool] = {}
        for status, number, value in self.led_log():
            if status & 0xF0 == 0x90:
                state[number] = value > 0
        return state


def tone_level(x: npt.NDArray[np.float32], freq: float, rate: int = 48000) -> float:
    """Amplitude of one sine component (Hann-windowed FFT peak, summed over channels)."""
    total = 0.0
    for channel in range(x.shape[1]):
        sig = x[:, channel].astype(np.float64)
        window = np.hanning(sig.size)
        spectrum = np.abs(np.fft.rfft(sig * window)) / (window.sum() / 2.0)
        bin_ = round(freq * sig.size / rate)
        total += float(spectrum[max(0, bin_ - 2) : bin_ + 3].max())
    return total


def longest(segments: list[npt.NDArray[np.float32]]) -> npt.NDArray[np.float32]:
    """The longest contiguous stretch of a capture (the dummy driver xruns under load)."""
    return max(segments, key=len)
