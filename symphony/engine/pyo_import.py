"""Import pyo quietly and only when an engine is really needed.

pyo prints a banner about wxPython on import; setting PYO_GUI_WX=0 before the
first import keeps a command-line tool's output clean. Importing lazily keeps
`symphony check` and the pure-logic tests free of the audio engine.

`system_portaudio=True` (the engine on `--audio portaudio`) first loads the
system's libportaudio with RTLD_GLOBAL, so pyo's PortAudio calls bind to it
rather than to the copy in pyo's wheel: that copy has only the ALSA and OSS
host APIs, the system's (Debian's libportaudio2) has JACK too, and it is the
library sounddevice lists devices with (`engine.audio_devices`). pyo uses
only PortAudio's portable API (Pa_Initialize, Pa_OpenStream, ...), the same in
every v19 release. It must happen before pyo's first import in the process;
without a system library pyo keeps its own.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys
from types import ModuleType

log = logging.getLogger(__name__)


def load_pyo(system_portaudio: bool = False) -> ModuleType:
    os.environ.setdefault("PYO_GUI_WX", "0")
    if system_portaudio and "pyo" not in sys.modules:
        _preload_portaudio()
    import pyo

    return pyo


def _preload_portaudio() -> None:
    name = ctypes.util.find_library("portaudio")
    if name is None:
        log.info("no system PortAudio; pyo uses its own (ALSA and OSS only)")
        return
    try:
        ctypes.CDLL(name, mode=ctypes.RTLD_GLOBAL)
    except OSError as exc:
        log.info("system PortAudio %s not loaded (%s); pyo uses its own", name, exc)
