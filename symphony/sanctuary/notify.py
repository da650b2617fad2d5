"""systemd's notify protocol: READY=1 once, WATCHDOG=1 only while the audio advances.

The unit (`hardware/systemd/symphony-play.service`) is `Type=notify` with a
`WatchdogSec`: systemd restarts the player when it stops hearing WATCHDOG=1.
A timer thread would go on feeding the watchdog while the sound is dead, so
`Watchdog.tick` feeds it only if the engine's audio clock (`EngineClock`,
written by the per-block hook) has made a block recently: a stalled, lost or
hung audio path starves the watchdog, and systemd acts.

The protocol is one datagram per message on the unix socket named by
$NOTIFY_SOCKET (an '@' prefix is the abstract namespace), so this needs no
package: a few lines of `socket`. Without $NOTIFY_SOCKET (not under systemd)
every call does nothing.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Callable

WATCHDOG_WITHIN = 1.0  # seconds: a block this recent means the sound advances


class Notifier:
    """Send sd_notify messages; quiet and harmless when not under systemd."""

    def __init__(self, address: str | None = None) -> None:
        address = os.environ.get("NOTIFY_SOCKET") if address is None else address
        self.address: str | None = None
        self.sock: socket.socket | None = None
        if address:
            self.address = "\0" + address[1:] if address.startswith("@") else address
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self.sock.setblocking(False)

    @property
    def active(self) -> bool:
        return self.sock is not None

    def send(self, *fields: str) -> bool:
        """One message ("READY=1", "STATUS=..."); False if it could not be sent."""
        if self.sock is None or self.address is None:
            return False
        try:
            self.sock.sendto("\n".join(fields).encode(), self.address)
        except OSError:  # systemd gone or the socket full: never a reason to stop the sound
            return False
        return True

    def close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
            self.sock = None


def watchdog_interval(default: float = 5.0) -> float:
    """How often to feed the watchdog: half of $WATCHDOG_USEC (systemd's advice)."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    if usec.isdigit() and int(usec) > 0:
        return int(usec) / 2e6
    return default


class Watchdog:
    """READY=1 at the first advancing block; then WATCHDOG=1 each `interval` while
    blocks advance (`advancing(within)`, the engine clock's), and never otherwise."""

    def __init__(
        self,
        notifier: Notifier,
        advancing: Callable[[float], bool],
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.notifier = notifier
        self.advancing = advancing
        self.interval = watchdog_interval() if interval is None else interval
        self.clock = clock
        self.ready = False
        self.fed_at = -1e18
        self.fed = 0
        self.starved = 0  # ticks that were due but found no audio

    def tick(self, status: str | None = None) -> None:
        """Call often (the control loop does, a few times a second)."""
        now = self.clock()
        if now - self.fed_at < self.interval:
            return
        if not self.advancing(WATCHDOG_WITHIN):
            self.starved += 1
            return
        fields = ["WATCHDOG=1"]
        if not self.ready:
            fields.insert(0, "READY=1")
            self.ready = True
        if status:
            fields.append(f"STATUS={status}")
        if self.notifier.send(*fields):
            self.fed += 1
        self.fed_at = now

    def stopping(self) -> None:
        self.notifier.send("STOPPING=1")

    def reloading(self, done: bool) -> None:
        self.notifier.send("READY=1" if done else "RELOADING=1")
