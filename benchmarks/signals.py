"""The raw-signal recorder's cost in the control process, at the design load.

64 consenting participants, each EEG 4 ch x 256 Hz, PPG 64 Hz, respiration
25 Hz, delivered in 0.1 s chunks as live sources do, for `--seconds` of show.
Measured with time.process_time in one run:

- baseline: the same chunks written with `np.savetxt` (row by row in Python)
  to plain files, nothing else;
- symphony: `SignalRecorder.write` (consent check, grid, gap fill, one %
  format per chunk) plus its flush thread and close.

Target: <= 10 % of one core for the design load (the control process also
extracts features; see benchmarks/features.py).

Usage: python benchmarks/signals.py [--participants 64] [--seconds 10]
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

import numpy as np

from symphony.inputs.recording import Signal
from symphony.inputs.source import SignalChunk
from symphony.session.signals import SignalRecorder

KINDS = (("eeg", 256.0, 4), ("ppg", 64.0, 1), ("resp", 25.0, 1))
CHUNK = 0.1
TARGET_SHARE = 0.10


def chunks(people: int, seconds: float) -> list[list[SignalChunk]]:
    """One list of chunks per 0.1 s poll."""
    rng = np.random.default_rng(5)
    polls = []
    for k in range(round(seconds / CHUNK)):
        poll = []
        for p in range(people):
            for kind, rate, width in KINDS:
                a, b = round(k * CHUNK * rate), round((k + 1) * CHUNK * rate)
                data = rng.normal(size=(width, b - a)) if width > 1 else rng.normal(size=b - a)
                poll.append(SignalChunk(f"p{p:02d}", Signal(kind, rate, data, "", a / rate)))
        polls.append(poll)
    return polls


def baseline(polls: list[list[SignalChunk]], folder: Path) -> float:
    files: dict[tuple[str, str], io.TextIOWrapper] = {}
    t0 = time.process_time()
    for poll in polls:
        for c in poll:
            key = (c.participant, c.signal.kind)
            if key not in files:
                files[key] = (folder / f"{key[0]}-{key[1]}.csv").open("w")
            data = np.atleast_2d(c.signal.data)
            times = c.signal.start + np.arange(data.shape[1]) / c.signal.rate
            np.savetxt(files[key], np.column_stack([times, data.T]), fmt="%.9g", delimiter=",")
    for f in files.values():
        f.close()
    return time.process_time() - t0


def recorder(polls: list[list[SignalChunk]], folder: Path) -> float:
    t0 = time.process_time()
    rec = SignalRecorder(folder, consent=lambda source, who: True)
    for poll in polls:
        rec.write("bench", poll)
    rec.close()
    return time.process_time() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    polls = chunks(args.participants, args.seconds)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "a").mkdir()
        base = baseline(polls, Path(tmp) / "a")
        ours = recorder(polls, Path(tmp) / "b")
    secs = args.seconds
    print(f"{args.participants} participants x {secs:g} s, 0.1 s chunks (CPU seconds)\n")
    print("| writer | CPU s | share of one core | ratio to baseline |")
    print("|---|---:|---:|---:|")
    print(f"| np.savetxt per chunk | {base:.2f} | {100 * base / secs:.1f} % | 1.00 |")
    print(f"| SignalRecorder | {ours:.2f} | {100 * ours / secs:.1f} % | {ours / base:.2f} |")
    print(f"\ntarget: SignalRecorder <= {100 * TARGET_SHARE:g} % of one core")


if __name__ == "__main__":
    main()
