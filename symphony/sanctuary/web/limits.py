"""The visitors' page limits as plain logic: rates, counts per address, device tokens.

Kept free of the server so each rule is a pure, clock-injected object that a
test can step, and the server only asks "may this happen?" and answers a
refusal with HTTP 429 or a WebSocket close with the reason.

A device token is the only thing a page keeps: random, 144 bits, issued by
the server. It maps, inside the web process only, to a short device id that
is what the room sees. A client can neither pick its device id (ids are
drawn by the server) nor use a token the server did not issue, and one
address can hold only a few tokens at a time, so one page cannot mint
thousands of voices.
"""

from __future__ import annotations

import collections
import secrets
from dataclasses import dataclass, field


class TokenBucket:
    """At most `rate` events a second on average, with bursts up to `burst`."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.at = now

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class Counter:
    """Open things (sockets) per key, with a total: admit or refuse, then release."""

    def __init__(self, per_key: int, total: int) -> None:
        self.per_key = per_key
        self.total = total
        self.counts: collections.Counter[str] = collections.Counter()

    def refusal(self, key: str) -> str | None:
        """Why one more for `key` is refused, or None if it may open."""
        if sum(self.counts.values()) >= self.total:
            return f"the room's page is full ({self.total} visitors): try again later"
        if self.counts[key] >= self.per_key:
            return f"too many open pages from this address (at most {self.per_key})"
        return None

    def open(self, key: str) -> None:
        self.counts[key] += 1

    def close(self, key: str) -> None:
        self.counts[key] -= 1
        if self.counts[key] <= 0:
            del self.counts[key]

    def open_count(self) -> int:
        return sum(self.counts.values())


@dataclass
class Device:
    """One visitor's device: its id in the room, the address it was issued to, last use."""

    device: str
    address: str
    seen: float


@dataclass
class Devices:
    """Device tokens issued by this server: token -> Device, a few per address."""

    per_address: int
    idle: float  # s after which an unused token is forgotten
    tokens: dict[str, Device] = field(default_factory=dict)
    swept: float = float("-inf")

    def lookup(self, token: str | None, now: float) -> Device | None:
        """The device of a token this server issued (and has not forgotten), else None."""
        self.forget_idle(now)
        if not token:
            return None
        device = self.tokens.get(token)
        if device is not None:
            device.seen = now
        return device

    def issue(self, address: str, now: float) -> tuple[str, Device] | None:
        """A new token and device for `address`, or None when it holds too many already."""
        self.forget_idle(now)
        held = sum(1 for d in self.tokens.values() if d.address == address)
        if held >= self.per_address:
            return None
        token = secrets.token_urlsafe(18)
        device = Device("web-" + secrets.token_urlsafe(6), address, now)
        self.tokens[token] = device
        return token, device

    def forget_idle(self, now: float) -> None:
        """Drop unused tokens; sweeps at most once a second, so a message costs O(1)."""
        if now - self.swept < 1.0:
            return
        self.swept = now
        stale = [t for t, d in self.tokens.items() if now - d.seen > self.idle]
        for token in stale:
            del self.tokens[token]


class LogLimit:
    """A few log lines per client a minute: a flood of bad requests cannot flood the logs.

    Each refused client still gets its line; beyond `per_window` lines in a
    window the rest are counted, and the next line that is written says how
    many were left out.
    """

    def __init__(self, per_window: int = 5, window: float = 60.0, keys: int = 10000) -> None:
        self.per_window = per_window
        self.window = window
        self.keys = keys
        self.seen: dict[str, tuple[float, int, int]] = {}  # key: window start, lines, hidden

    def allow(self, key: str, now: float) -> tuple[bool, int]:
        """(write this line?, how many lines of this key were left out before it)."""
        if len(self.seen) >= self.keys and key not in self.seen:
            self.seen.clear()  # bounded memory under a flood of addresses
        start, lines, hidden = self.seen.get(key, (now, 0, 0))
        if now - start >= self.window:
            start, lines = now, 0
        if lines < self.per_window:
            self.seen[key] = (start, lines + 1, 0)
            return True, hidden
        self.seen[key] = (start, lines, hidden + 1)
        return False, 0
