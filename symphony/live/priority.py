"""Let the audio threads win every contest for the CPU.

Without realtime scheduling (a JACK server started without -R, as on this
2-core test machine, or a laptop whose user may not use SCHED_FIFO), JACK's
and the engine's audio threads share the CPU on equal terms with our own
control process. Its 50 Hz steps (features, collective, conductor) then
delay audio cycles and the show xruns: 126 to 399 xruns a minute at 256
frames with 16 participants, against 30 to 33 once the control process runs
at SCHED_IDLE (measured 2026-11-22, see README "Latency"). The control process
only computes values that the engine holds until the next one arrives, so
it can afford to wait: a stall there never stalls the sound (docs/architecture.md, fact 2).

SCHED_IDLE alone is not enough on a kernel without wake-up preemption
(`Dynamic Preempt: none`, as here): a JACK thread that wakes while our
process computes waits until our process next calls the scheduler, which
for a 4 ms feature pull is 4 ms, three periods at 64 frames. `GiveWay`
makes that call every `GIVE_WAY_EVERY` seconds of work (a timer signal whose
handler calls `sched_yield`). Next to a SCHED_IDLE burner doing 4 ms of
numpy every 20 ms, a bare JACK client at 64 frames had 1775 xruns a minute;
with GiveWay around the burner, 57; alone, 60 (`benchmarks/give_way.py`).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from types import FrameType, TracebackType

log = logging.getLogger(__name__)

# Seconds of work between two offers of the CPU. A SCHED_IDLE burner that
# yields every 150 to 370 us costs a bare JACK client at 64 frames no xruns
# beyond its own; one that never yields costs 30 times its own.
GIVE_WAY_EVERY = 0.0002


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


def shield_threads() -> None:
    """Keep `GiveWay`'s timer signal out of threads started from here on.

    Call it before starting source threads: they inherit the blocked signal,
    so a library's blocking call in them (LSL, BrainFlow, sockets) is never
    interrupted by it. `GiveWay.install` unblocks it again for its own thread.
    """
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})


class GiveWay:
    """While inside `with`, offer the CPU to waiting threads every `every` s of wall time.

    Outside `with` the timer is off, so a process that sleeps between steps
    gets no signals at all. Install it once from the main thread (Python runs
    signal handlers there); without SIGALRM (not POSIX) it does nothing.
    """

    def __init__(self, every: float = GIVE_WAY_EVERY) -> None:
        self.every = every
        self.installed = False
        self.offers = 0  # how many times the handler gave the CPU away

    def install(self) -> bool:
        """Set the handler; returns whether the timer will run."""
        if not hasattr(signal, "setitimer"):
            return False
        if threading.current_thread() is not threading.main_thread():
            return False  # Python runs handlers in the main thread only
        signal.signal(signal.SIGALRM, self._offer)
        # Restart interrupted system calls instead of failing them with EINTR.
        signal.siginterrupt(signal.SIGALRM, False)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})
        self.installed = True
        return True

    def _offer(self, signum: int, frame: FrameType | None) -> None:
        self.offers += 1
        os.sched_yield()

    def __enter__(self) -> GiveWay:
        if self.installed:
            signal.setitimer(signal.ITIMER_REAL, self.every, self.every)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.installed:
            # The handler stays: a signal already on its way must not end the
            # process with the default action ("Alarm clock").
            signal.setitimer(signal.ITIMER_REAL, 0.0)
