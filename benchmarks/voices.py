"""CPU cost of every person's own voice per room update (`RoomVoices.update`).

The room stage calls `RoomVoices.update` at every room update (25 Hz) with
everyone present: it keeps the seats' trigger voices in step, runs the voice
rotation and maps each voice's owner's features onto its targets, sending
changes only. This measures it for rooms of N people on ring8.toml's eight
swell voices (so from 9 people on, voices rotate), every person's breath
phase moving at each update, against a baseline measured in the same run:
the same values computed for a fixed assignment by a plain loop (voice v
plays person v; no allocation, no seats, no change tracking), i.e. the least
Python can do per update to produce those values.

Usage: python benchmarks/voices.py [--people 8 64 256 1024] [--updates 1000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from symphony.collective.voices import SeatMap  # noqa: E402
from symphony.collective.voicing import Presence, RoomVoices  # noqa: E402
from symphony.mapping.layout import ControlLayout  # noqa: E402
from symphony.performance.loader import load_performance  # noqa: E402

HOP = 0.04


def room(n: int, k: int, seats: SeatMap) -> list[Presence]:
    return [
        Presence(
            f"p{i:04d}",
            1.0,
            seats.seat(f"p{i:04d}"),
            {"breath_phase": (k * HOP / 4.0 + i / n) % 1.0, "breath_depth": 0.5, "arousal": 0.4},
            True,
        )
        for i in range(n)
    ]


def measure(n: int, updates: int) -> tuple[float, float]:
    perf = load_performance(ROOT / "performances" / "ring8.toml")
    layout = ControlLayout(perf.spec, perf.patches)
    seats = SeatMap(circular=True)
    seats.sync([f"p{i:04d}" for i in range(n)])
    rooms = [room(n, k, seats) for k in range(updates)]
    voices = RoomVoices(perf.spec, layout)
    binding = voices.bindings[0]
    started = time.process_time()
    for k, people in enumerate(rooms):
        voices.update(k * HOP, people)
    ours = (time.process_time() - started) / updates
    started = time.process_time()
    for people in rooms:
        out = []
        for voice, person in zip(binding.voices, people, strict=False):
            out.append((voice.seat, person.seat, person.participant))
            for rule in binding.rules:
                out.append((voice.params[rule.name], rule.value(person.features[rule.source]), ""))
            out.append((voice.level, person.gain, person.participant))
    bare = (time.process_time() - started) / updates
    return ours, bare


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[8, 64, 256, 1024])
    parser.add_argument("--updates", type=int, default=1000)
    args = parser.parse_args()
    header = "| people | RoomVoices.update (ms) | plain loop, fixed voices (ms) | ratio |"
    print(header + " % core at 25 Hz |")
    print("|---:|---:|---:|---:|---:|")
    for n in args.people:
        ours, bare = measure(n, args.updates)
        print(
            f"| {n} | {ours * 1e3:.3f} | {bare * 1e3:.3f} | {ours / bare:.1f} "
            f"| {ours * 25 * 100:.2f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
