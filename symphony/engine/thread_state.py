"""Keep the audio thread's Python thread state alive between blocks.

pyo enters Python from its audio callback with ``PyGILState_Ensure`` and
leaves with ``PyGILState_Release``. JACK's (or PortAudio's) thread is not a
Python thread, so each block CPython creates a fresh thread state, maps a new
16 KiB frame stack for our hook (``mmap``, then a page fault per page), and at
the end of the block deletes both again (``munmap``). Measured with
``strace -k`` on the engine's JACK thread: one mmap and one munmap every
block, 750 a second at 64 frames, each a trip into the kernel on the audio
path that the bare pyo client (no Python hook) never makes.

Taking one extra, never released ``PyGILState_Ensure`` from inside the audio
thread raises the thread state's counter to 2: pyo's release then only drops
the GIL (counter back to 1) and the thread state, with its frame stack, stays
for the next block. The GIL is still released after every block.
"""

from __future__ import annotations

import ctypes


def keep_thread_state() -> None:
    """Call once, from the audio thread, while it holds the GIL (inside the hook)."""
    ctypes.pythonapi.PyGILState_Ensure()
