"""The contract every live or recorded source of biosignals fulfils.

A source delivers `SignalChunk`s: consecutive samples of one signal kind from
one participant, stamped on the performance clock. Backends (BrainFlow, LSL,
OSC, recording files, the simulator) live in `symphony.inputs.sources` and are
imported only when a performance or command names them, so a missing optional
driver never breaks anything else.

Sources never raise into the show: a dropped connection becomes a status
(`connected=False`, an error text, a retry time), and `poll` returns nothing
until data flows again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from symphony.inputs.recording import Signal


@dataclass
class SignalChunk:
    """Samples of one signal of one participant; `signal.start` is on the show clock."""

    participant: str
    signal: Signal
    # Device hints that bear on quality, e.g. {"headset_on": 1.0, "contact_TP9": 0.5}.
    hints: dict[str, float] = field(default_factory=dict)


@dataclass
class SourceStatus:
    """What a console or monitor shows about a source."""

    name: str
    connected: bool = False
    last_data: float | None = None  # show-clock time of the newest sample
    error: str | None = None  # the last problem, in words, naming port/device
    reconnects: int = 0
    next_retry: float | None = None  # monotonic time of the next reconnect attempt


class Source(Protocol):
    """A backend: open, poll for chunks, report status, close."""

    name: str

    def open(self) -> None: ...

    def poll(self) -> list[SignalChunk]:
        """Return the chunks that arrived since the last poll, never blocking for long."""
        ...

    def status(self) -> SourceStatus: ...

    def close(self) -> None: ...
