"""Two consents per person, changeable at any moment of a show.

- `sound`: their signals may shape the sound (the default for someone who
  puts on a sensor or sends a mood: that is why they are there);
- `record`: their data may be kept (never the default: only an explicit
  TOML `true` in the performance, or a live grant, counts).

They are independent: someone may shape the sound and leave nothing
behind, which is the usual case. `ConsentBook` holds the defaults the
performance gives and every change made during the show (console key, OSC
`/symphony/<participant>/consent`, the Python API behind the visitors'
page), and tells its listeners at once, so a withdrawal of `record` stops
that person's recording and deletes what the show kept of them within the
same control step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Consent:
    """What one person agreed to, now."""

    sound: bool = True
    record: bool = False

    def describe(self) -> str:
        return f"sound {'yes' if self.sound else 'no'}, record {'yes' if self.record else 'no'}"


# (participant, before, after): called on every real change.
Listener = Callable[[str, Consent, Consent], None]
NOBODY_RECORDS = Consent(sound=True, record=False)


class ConsentBook:
    """Everyone's consent: the performance's defaults, then whatever changed live."""

    def __init__(self, default: Callable[[str], Consent] | None = None) -> None:
        self._default = default or (lambda participant: NOBODY_RECORDS)
        self._changed: dict[str, Consent] = {}
        self.listeners: list[Listener] = []

    def get(self, participant: str) -> Consent:
        found = self._changed.get(participant)
        return found if found is not None else self._default(participant)

    def set(
        self, participant: str, *, sound: bool | None = None, record: bool | None = None
    ) -> Consent:
        """Change one person's consent; listeners hear of it before this returns."""
        before = self.get(participant)
        after = Consent(
            sound=before.sound if sound is None else bool(sound),
            record=before.record if record is None else bool(record),
        )
        if after == before:
            return after
        self._changed[participant] = after
        log.info("consent of %s: %s", participant, after.describe())
        for listener in list(self.listeners):
            listener(participant, before, after)
        return after

    def forget(self, participant: str) -> None:
        """Drop a live change (a visitor's device that left): back to the defaults."""
        self._changed.pop(participant, None)
