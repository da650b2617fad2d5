"""What a live show keeps of each person, held to their consent while it runs.

Three things on disk can hold someone's data: their raw signals
(`signals.py`, kept only with `record` consent), the session log's changes
that carry their own data (tagged, resolved by `private.PrivateLedger`), and
nothing else. `Keeping` ties them to the show's `ConsentBook`: when someone
withdraws `record`, their raw signal files are closed and deleted at once and
the session log is rewritten without their values (their lanes keep only the
public stand-in, their voices nothing) in a thread of its own, within well
under a second, while the show plays on.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from symphony.collective.consent import Consent, ConsentBook
from symphony.session.log import ordinary
from symphony.session.private import PrivateLedger, redactor

log = logging.getLogger(__name__)


class Keeping:
    """The live show's keeper of consent on disk (see module docstring)."""

    def __init__(self) -> None:
        self.ledger: PrivateLedger | None = None
        self.writer: Any = None  # session.log.SessionWriter
        self.recorder: Any = None  # session.signals.SignalRecorder
        self.rewrites: list[threading.Thread] = []

    def resolve(self, block: int, target: int, value: float, tag: int) -> str | None:
        """The session writer's `resolve`: before the ledger exists, tagged changes are dropped."""
        if self.ledger is None:
            return ordinary(block, target, value, tag)
        return self.ledger.resolve(block, target, value, tag)

    def attach(self, book: ConsentBook, writer: Any, recorder: Any) -> PrivateLedger:
        self.ledger = PrivateLedger(book.get)
        self.writer = writer
        self.recorder = recorder
        book.listeners.append(self._changed)
        return self.ledger

    def _changed(self, participant: str, before: Consent, after: Consent) -> None:
        if not (before.record and not after.record):
            return
        if self.recorder is not None:
            self.recorder.forget(participant)
        if self.writer is not None:
            thread = threading.Thread(
                target=self._redact, args=(participant,), name="session-redact", daemon=True
            )
            thread.start()
            self.rewrites.append(thread)

    def _redact(self, participant: str) -> None:
        try:
            dropped = self.writer.rewrite(redactor(participant))
            log.info("session log: %s's own values taken out (%d lines)", participant, dropped)
        except (OSError, ValueError) as exc:  # never stops the show; said once
            log.warning("session log not rewritten for %s: %s", participant, exc)

    def wait(self, timeout: float = 2.0) -> None:
        """Let rewrites under way finish (before the log is closed at the end of a show)."""
        for thread in self.rewrites:
            thread.join(timeout)
