"""How long `SessionWriter.rewrite` holds the session log's lock on a long show's log.

A consent taken back mid-show rewrites the whole log through a per-line
filter while the show goes on (`symphony.session.log`): changes wait in the
engine's ring meanwhile, so the rewrite must finish well under a second.
This script writes the log of a long show (by default 4 hours at 100
changes a second: 1.44 million change lines plus the flush lines), then
times, in the same run:

- **copy**: `shutil.copyfile` of the same file plus an fsync (the floor: what
  the disk and the page cache cost);
- **rewrite, keep all**: a filter that returns every line;
- **rewrite, drop one target**: a filter that parses each change line and
  drops one target's (a person's lines) - about a 16th of them.

For each, the total time and the time the writer's lock was held (the bulk
of the log is filtered before the lock is taken; see `SessionWriter.rewrite`).

Best of `--runs`. Usage: python benchmarks/session_rewrite.py [--hours 4] [--rate 100]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from symphony.session.log import SessionHeader, SessionWriter  # noqa: E402
from symphony.session.ring import RingReader, create_ring  # noqa: E402

TARGETS = 16


def write_log(path: Path, hours: float, rate: float) -> int:
    """A show's log as the writer makes it: change lines, and a p line per flush."""
    header = SessionHeader("perf.toml", "0" * 16, 1, 48000, 256, 2, ["t"] * TARGETS, 0.0)
    per_block = rate * 256 / 48000
    lines = []
    changes = int(hours * 3600 * rate)
    for k in range(changes):
        block = int(k / per_block)
        lines.append(f"c {block} {k % TARGETS} {0.1 + (k % 1000) / 3.0!r}\n")
        if k % int(rate / 4) == 0:
            lines.append(f"p {block}\n")
    path.write_text(header.to_line() + "".join(lines))
    return len(lines)


def timed(action: Callable[[], object], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=4.0)
    parser.add_argument("--rate", type=float, default=100.0, help="changes per second")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "show.session"
        n = write_log(log, args.hours, args.rate)
        size = log.stat().st_size / 1e6
        ring = create_ring(capacity=1024)
        writer = SessionWriter(log, SessionHeader("", "", 0, 0, 0, 0, [], 0.0), RingReader(ring))
        copy = Path(folder) / "copy"

        def plain_copy() -> None:
            shutil.copyfile(log, copy)
            fd = os.open(copy, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)

        def drop_one(line: str) -> str | None:
            return None if line.startswith("c ") and line.split(" ", 3)[2] == "7" else line

        rows = [("copy (floor)", timed(plain_copy, args.runs), math.nan)]
        keep_all = timed(lambda: writer.rewrite(lambda line: line), args.runs)
        rows.append(("rewrite, keep all", keep_all, writer.locked_seconds))
        drop = timed(lambda: writer.rewrite(drop_one), 1)
        rows.append(("rewrite, drop one target", drop, writer.locked_seconds))
        writer.close()
        ring.close()
        ring.shm.unlink()
    print(f"\n{args.hours:g} h at {args.rate:g} changes/s: {n} lines, {size:.1f} MB\n")
    print("| operation | seconds | lines per second | writer's lock held (ms) |")
    print("|---|---:|---:|---:|")
    for name, seconds, locked in rows:
        held = "-" if math.isnan(locked) else f"{1000 * locked:.1f}"
        print(f"| {name} | {seconds:.3f} | {n / seconds / 1e6:.1f} M | {held} |")


if __name__ == "__main__":
    main()
