"""Let the audio threads win every contest for the CPU.

Without realtime scheduling (a JACK server started without -R, as on this
2-core test machine, or a laptop whose user may not use SCHED_FIFO), JACK's
and the engine's audio threads share the CPU on equal terms with our own
control process. Its 50 Hz steps (features, collective, conductor) then
delay audio cycles and the show xruns: 126 to 399 xruns a minute at 256
frames with 16 participants, against 30 to 33 once the control process runs
at SCHED_IDLE (measured 2026-11-22, see README "Latency"). The control process
only computes values that the engine holds until the next one arrives, so
it can afford to wait: a stall there never stalls the sound (DESIGN.md).
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)


def yield_to_audio() -> bool:
    """Run the calling thread (and threads it starts later) at SCHED_IDLE.

    Call it in the control process after the engine and MIDI processes have
    started: children inherit the policy, and those two must not. Threads
    already running (sources, the session writer) keep theirs. Returns
    whether it took effect (not on systems without SCHED_IDLE).
    """
    policy = getattr(os, "SCHED_IDLE", None)
    setter = getattr(os, "sched_setscheduler", None)
    if policy is None or setter is None:
        return False
    try:
        setter(0, policy, os.sched_param(0))
    except OSError as exc:
        log.info("control process keeps its priority: %s", exc)
        return False
    return True
