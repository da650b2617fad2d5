"""PortAudio output devices, listed with `sounddevice` and matched by name.

A saved device index is how pyo and SoundGrain users lost whole
installations: indices move when a device is plugged in elsewhere. So a
device is asked for by a case-insensitive substring of its name (an exact
name wins over a substring; otherwise the first match in PortAudio's order),
and looked up again at every start and retry.

PortAudio lists devices once, when it is initialised; `output_devices(fresh=
True)` terminates and re-initialises sounddevice's PortAudio so a device
plugged in since shows up (the engine does this before every retry).

pyo's own PortAudio (in its wheel) has only the ALSA and OSS host APIs; the
system's libportaudio2 (Debian) also has JACK. `use_system_portaudio` makes
pyo use the system library, which is the one sounddevice lists, so names and
host APIs agree; see `engine.pyo_import`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OutputDevice:
    index: int  # PortAudio's index, valid until PortAudio is initialised again
    name: str
    hostapi: str
    channels: int
    default: bool = False

    def line(self) -> str:
        mark = "  (default)" if self.default else ""
        return f"{self.index:>3} {self.name}  [{self.hostapi}, {self.channels} out]{mark}"


def _sounddevice(fresh: bool) -> Any:
    import sounddevice

    if fresh:
        # PortAudio enumerates at initialisation only: start it again to see changes.
        with contextlib.suppress(Exception):
            sounddevice._terminate()
        sounddevice._initialize()
    return sounddevice


def output_devices(fresh: bool = False) -> list[OutputDevice]:
    """Every PortAudio device with output channels, in PortAudio's order."""
    sd = _sounddevice(fresh)
    apis = [str(api["name"]) for api in sd.query_hostapis()]
    try:
        default_out = int(sd.default.device[1])
    except (TypeError, ValueError, IndexError):
        default_out = -1
    devices = []
    for info in sd.query_devices():
        channels = int(info["max_output_channels"])
        if channels <= 0:
            continue
        index = int(info["index"])
        devices.append(
            OutputDevice(
                index=index,
                name=str(info["name"]),
                hostapi=apis[int(info["hostapi"])],
                channels=channels,
                default=index == default_out,
            )
        )
    return devices


def match_output(devices: list[OutputDevice], wanted: str | None) -> OutputDevice | None:
    """The device `wanted` names (case-insensitive substring); None: the default, or the first."""
    if not devices:
        return None
    if wanted is None:
        return next((d for d in devices if d.default), devices[0])
    key = wanted.lower()
    exact = [d for d in devices if d.name.lower() == key]
    if exact:
        return exact[0]
    return next((d for d in devices if key in d.name.lower()), None)


def describe(devices: list[OutputDevice]) -> str:
    """The devices on one line, for a message that says what is there instead."""
    return ", ".join(f"'{d.name}' ({d.hostapi})" for d in devices) or "none"
