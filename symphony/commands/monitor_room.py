"""`symphony monitor SOURCE --collective`: what the room would do with these people.

The sources are read as `monitor` reads them (commands/monitor.py), and
everyone's signals go through `collective.snapshot.RoomFeed`: the same
features, the same `Room`, updated every `ROOM_HOP` (0.04 s) of show time,
as a live show and a render step it. So anyone can check from a recording
what the collective features (the `collective.NAME` a mapping reads) and
the roster would be.

Output: with `--json` one object per room update (`time`, `collective`
with every feature as {value, unit}, `roster` counts heard / fading /
gated, and `owned`: the features fewer than 3 people carry); otherwise a
table of the collective features and the roster, refreshed four times a
second.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from symphony.collective.names import COLLECTIVE_FEATURES
from symphony.collective.room import ROOM_HOP, RoomFrame, room_hop_frames
from symphony.collective.snapshot import RoomFeed, frame_record, roster_counts
from symphony.commands.monitor import (
    _RATE,
    _REPLAYABLE,
    _STEP,
    _finished,
    open_sources,
    source_specs,
)
from symphony.errors import SymphonyError
from symphony.inputs.source import Source

_COLUMNS = 3  # features side by side in the table


def _table(frame: RoomFrame) -> str:
    """The collective features in columns, then the roster."""
    cells = []
    for name, info in COLLECTIVE_FEATURES.items():
        value = frame.values.get(name, float("nan"))
        mark = "*" if name in frame.owners else " "
        cells.append(f"{name[:22]:<22} {value:9.3f}{mark} {info.unit[:7]:<7}")
    rows = ["  ".join(cells[i : i + _COLUMNS]).rstrip() for i in range(0, len(cells), _COLUMNS)]
    counts = roster_counts(frame.counts)
    roster = ", ".join(f"{k} {v}" for k, v in counts.items())
    head = f"t={frame.time:8.2f}s  people: {roster}  (* carried by fewer than 3 people)"
    return "\n".join([head, *rows])


def _deliver(sources: list[Source], feed: RoomFeed) -> None:
    for source in sources:
        for chunk in source.poll():
            feed.push(chunk.participant, chunk.signal)


def run_collective(args: argparse.Namespace) -> int:
    """The monitor loop, one room update per ROOM_HOP of show time (module docstring)."""
    if args.plot is not None:
        raise SymphonyError(
            "--plot draws each person's features", expected="--plot without --collective"
        )
    # A replay hands out one chunk per poll when fast: one room update's worth.
    specs = [
        {**s, "chunk": ROOM_HOP} if s.get("kind") in _REPLAYABLE else s
        for s in source_specs(args.source, bool(args.fast), args.duration)
    ]
    fast = bool(args.fast) and all(s.get("kind") in _REPLAYABLE for s in specs)
    updates = {"n": 0}
    began = time.monotonic()
    hop = room_hop_frames(_RATE)

    def show_time(n: int) -> float:
        # Computed as the live control loop computes its frame times (frame / rate),
        # so the room's fades step through the very same floats.
        return n * hop / _RATE

    def clock() -> float:
        return show_time(updates["n"]) if fast else time.monotonic() - began

    sources = open_sources(args.source, specs, fast, clock)
    feed = RoomFeed(_RATE)
    tty = sys.stdout.isatty() and not args.json
    lines, shown = 0, -1.0
    try:
        while args.duration is None or show_time(updates["n"]) < args.duration - 1e-9:
            if _finished(sources):
                break
            updates["n"] += 1
            due = show_time(updates["n"])
            if not fast:
                time.sleep(max(0.0, began + due - time.monotonic()))
            _deliver(sources, feed)
            frame = feed.update(due)
            if args.json:
                print(json.dumps(frame_record(frame)))
            elif due - shown >= _STEP - 1e-9:
                shown = due
                text = _table(frame)
                if tty and lines:
                    sys.stdout.write(f"\x1b[{lines}F\x1b[J")
                print(text)
                lines = text.count("\n") + 1
            sys.stdout.flush()
    finally:
        for source in sources:
            source.close()
    return 0
