"""What the session log may keep of changes that carry someone's own data.

Most changes the engine applies belong to nobody: the scenes, the
performer, the room as a whole (3 or more people). Some are someone's own:
a lane that follows a value fewer than 3 people carry, a voice that follows
one person's heart. The control process sends those to the engine with a
*tag*; the engine's ring holds the tag and never the value (shared memory
is a file a crash leaves behind); the session writer asks `resolve` what
line to write, when it drains the ring (a quarter of a second later, with
consent as it stands then):

- everyone it belongs to consented to `record`: the value, followed by who
  it belongs to and its public stand-in, ``c B T VALUE @anna,ben ~PUBLIC``,
  so that a later withdrawal can put the stand-in back (`redactor`);
- anyone did not: the public stand-in alone, ``c B T PUBLIC``: the lane as
  the scenes, the performer and the whole room make it; a trigger of such a
  person (a heartbeat) has no stand-in and is not written at all.

So the re-render plays exactly what a render of the same recording plays:
everything of consenting people, and for the others only what 3 or more
people carried together.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote

from symphony.collective.consent import Consent

MAX_PENDING = 200_000  # tags not yet resolved (a change the engine dropped never is)


@dataclass(frozen=True)
class _Entry:
    owners: frozenset[str]
    public: float | None  # None: nothing stands in (a trigger)
    value: float


class PrivateLedger:
    """Tags for changes that carry someone's own data (see module docstring)."""

    def __init__(self, consent: Callable[[str], Consent]) -> None:
        self.consent = consent
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._next = 1
        self._lock = threading.Lock()

    def tag(self, owners: frozenset[str], value: float, public: float | None) -> int:
        """A tag for one change (called by the control loop; thread-safe)."""
        with self._lock:
            tag = self._next
            self._next = self._next + 1 if self._next < 2**31 - 2 else 1
            self._entries[tag] = _Entry(owners, public, value)
            while len(self._entries) > MAX_PENDING:
                self._entries.popitem(last=False)
        return tag

    def resolve(self, block: int, target: int, value: float, tag: int) -> str | None:
        """The log line (no newline) for one applied change (called by the session writer)."""
        if tag == 0:
            return f"c {block} {target} {value!r}"
        with self._lock:
            entry = self._entries.pop(tag, None)
        if entry is None:
            return None  # unknown: keep nothing rather than guess
        if all(self.consent(p).record for p in entry.owners):
            who = ",".join(quote(p, safe="") for p in sorted(entry.owners))
            stand_in = "-" if entry.public is None else repr(entry.public)
            return f"c {block} {target} {entry.value!r} @{who} ~{stand_in}"
        if entry.public is None:
            return None
        return f"c {block} {target} {entry.public!r}"


def owners_of(line: str) -> frozenset[str]:
    """Who a session log line belongs to (empty for everyone's lines)."""
    for part in line.split()[4:5]:
        if part.startswith("@"):
            return frozenset(unquote(p) for p in part[1:].split(","))
    return frozenset()


def redactor(person: str) -> Callable[[str], str | None]:
    """A line filter for `SessionWriter.rewrite`: `person`'s lines lose their value."""

    def keep(line: str) -> str | None:
        owners = owners_of(line)
        if person not in owners:
            return line
        parts = line.split()
        stand_in = parts[5][1:]
        if stand_in == "-":
            return None
        return f"c {parts[1]} {parts[2]} {stand_in}"

    return keep
