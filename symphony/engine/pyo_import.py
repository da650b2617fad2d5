"""Import pyo quietly and only when an engine is really needed.

pyo prints a banner about wxPython on import; setting PYO_GUI_WX=0 before the
first import keeps a command-line tool's output clean. Importing lazily keeps
`symphony check` and the pure-logic tests free of the audio engine.
"""

from __future__ import annotations

import os
from types import ModuleType


def load_pyo() -> ModuleType:
    os.environ.setdefault("PYO_GUI_WX", "0")
    import pyo

    return pyo
