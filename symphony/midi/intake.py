"""The hot-path contract: the MIDI thread only guards and enqueues.

`Intake` is the callback handed to `ports.MidiInput`. In the MIDI thread it
does O(1) work per message: the `FloodGuard` check (system messages are
counted and dropped there) and an append to a queue. Parsing, bindings and
takeover happen in `drain`, called once per audio block or control frame
by whoever owns the parameters. Between two drains at most
`max_events_per_block` channel messages are queued (note-offs always pass),
so a flooding device cannot grow memory or the work of one block.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from symphony.midi.messages import ControlEvent, FloodGuard, HeldNotes, MidiParser, ParserConfig


class Intake:
    """Raw messages in (any thread), typed events out (the consumer's thread)."""

    def __init__(self, config: ParserConfig | None = None, max_events_per_block: int = 256) -> None:
        self.guard = FloodGuard(max_events_per_block=max_events_per_block)
        self.parser = MidiParser(config)
        self.held = HeldNotes()
        self._pending: deque[list[int]] = deque()

    def __call__(self, data: Sequence[int]) -> None:
        """The MIDI callback: count, bound, enqueue; nothing else."""
        if self.guard.admit(data):
            self._pending.append(list(data))

    def drain(self) -> list[ControlEvent]:
        """Everything that arrived since the last drain, parsed in order."""
        events: list[ControlEvent] = []
        pending = self._pending
        while pending:
            for event in self.parser.parse(pending.popleft()):
                self.held.observe(event)
                events.append(event)
        self.guard.new_block()
        return events

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.guard.counts)
