"""The realtime engine's audio backends: is the server or device there, boot, notice its loss.

- **JACK.** Whether a server answers is asked quietly with a JACK-Client
  probe (no server is ever started: JACK_NO_START_SERVER), so the engine
  boots pyo only when it can. When the JACK server goes away, pyo shuts its
  own server down within about 11 ms (`getIsBooted()` turns false) and every
  pyo object is dead; after the server is back, `reinit`, `boot` and `start`
  work in the same process (about 60 ms), so the engine rebuilds its graph in
  place (`recovers_in_process`).
- **PortAudio.** The device is found by name with sounddevice, afresh before
  every try, and pyo is never booted without it: booting pyo's PortAudio on a
  missing device crashed the process here. A lost device shows only as
  audio blocks that stop coming (`STALL_SECONDS`), and pyo's `stop()` then
  blocks for ever inside PortAudio, so the engine process cannot recover in
  place: it exits with `EXIT_AUDIO_LOST` and its supervisor starts a new one,
  which waits for the device.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, Protocol

from symphony.engine.audio_devices import describe, match_output, output_devices

STALL_SECONDS = 1.0  # PortAudio: no block for this long while booted means the device is gone
EXIT_AUDIO_LOST = 3  # the engine's exit status when it must be restarted to recover


class Backend(Protocol):
    recovers_in_process: bool

    def unavailable(self) -> str | None:
        """Why the engine cannot boot now (None: it can)."""

    def boot(self, pyo: Any, server: Any) -> bool:
        """Boot `server` on this backend; whether it is booted."""

    def lost(self, server: Any, last_block_age: float) -> bool:
        """Whether the audio is gone (the server shut down, or blocks stopped)."""


class JackBackend:
    recovers_in_process = True

    def __init__(self, channels: int, connect: tuple[str, ...] = ()) -> None:
        self.channels = channels
        self.connect = connect
        os.environ["JACK_NO_START_SERVER"] = "1"  # never start a server of our own

    def unavailable(self) -> str | None:
        return None if jack_server_running() else "no JACK server is running"

    def boot(self, pyo: Any, server: Any) -> bool:
        server.setJackAuto(False, False)
        if self.connect:
            server.setJackAutoConnectOutputPorts(
                [[self.connect[i % len(self.connect)]] for i in range(self.channels)]
            )
        server.boot()
        if not server.getIsBooted():
            return False
        server.setJackOutputPortNames([f"out_{i + 1}" for i in range(self.channels)])
        return True

    def lost(self, server: Any, last_block_age: float) -> bool:
        return not server.getIsBooted()


def jack_server_running() -> bool:
    """Whether a JACK server answers (JACK_DEFAULT_SERVER's), quietly, without starting one."""
    try:
        import jack

        jack.set_error_function(lambda _message: None)  # "not running" is an answer here
        jack.set_info_function(lambda _message: None)
        client = jack.Client("symphony-probe", no_start_server=True)
    except Exception:
        return False
    with contextlib.suppress(Exception):
        client.close()
    return True


class PortAudioBackend:
    recovers_in_process = False

    def __init__(self, device: str | None) -> None:
        self.device = device
        self.chosen: str | None = None
        os.environ["JACK_NO_START_SERVER"] = "1"  # PortAudio's JACK host API: no server of ours

    def unavailable(self) -> str | None:
        jack_server_running()  # silences libjack's messages while PortAudio looks for JACK
        devices = output_devices(fresh=True)
        found = match_output(devices, self.device)
        if found is None:
            self.chosen = None
            what = f"matching '{self.device}'" if self.device else "at all"
            return f"no audio output device {what} (there are: {describe(devices)})"
        self.chosen = found.name
        return None

    def boot(self, pyo: Any, server: Any) -> bool:
        if self.chosen is None:
            return False
        index = _pyo_index(pyo, self.chosen, self.device)
        if index < 0:  # gone between the two listings (or pyo has its own PortAudio)
            return False
        server.setOutputDevice(index)
        server.boot()
        return bool(server.getIsBooted())

    def lost(self, server: Any, last_block_age: float) -> bool:
        return last_block_age > STALL_SECONDS or not server.getIsBooted()


def _pyo_index(pyo: Any, chosen: str, wanted: str | None) -> int:
    """pyo's index of the device sounddevice chose: same name, else the same substring."""
    names, indexes = pyo.pa_get_output_devices()
    pairs = [(str(n), int(i)) for n, i in zip(names, indexes, strict=False)]
    for name, index in pairs:
        if name == chosen:
            return index
    key = (wanted or chosen).lower()
    return next((index for name, index in pairs if key in name.lower()), -1)
