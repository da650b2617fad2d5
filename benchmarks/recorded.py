"""Rendering from recordings: how much faster than real time, and what the source path costs.

For a performance whose `[[sources]]` are recordings, the control plan reads
them at full speed through the sources registry (`performance/recorded.py`).
In one run, on the same files (written by the raw-signal recorder from
simulated people, like `performances/recordings/`):

- baseline: the recordings loaded with `load_recording` and each person's
  features computed with `extract_features` (the offline extractor alone);
- symphony: `recorded_tracks`, i.e. the registry, full-speed `ReplaySource`
  polls, clipping and the streaming extractor, as `render` runs it.

Reports CPU seconds (time.process_time, one process) and the speed as a
multiple of real time. Targets: symphony / baseline <= 1.2; faster than real
time by at least 10x for 8 people.

Usage: python benchmarks/recorded.py [--participants 8] [--seconds 120] [--repeat 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from symphony.features.simple import extract_features
from symphony.inputs.recording import Signal
from symphony.inputs.simulated import StateChange, simulate_group
from symphony.inputs.source import SignalChunk
from symphony.inputs.sources.recording_source import load_recording
from symphony.performance.recorded import recorded_tracks
from symphony.performance.schema import PerformanceSpec
from symphony.session.signals import SignalRecorder

RATE = 50.0
TARGET_RATIO = 1.2
TARGET_SPEED = 10.0


def write_recording(folder: Path, people: int, seconds: float) -> None:
    group = simulate_group(people, seconds, seed=3, script=[StateChange(0.0, "calm")])
    recorder = SignalRecorder(folder, consent=lambda source, who: True)
    try:
        for person in group:
            for kind, s in person.signals.items():
                data = np.round(s.data, 3)
                step = int(s.rate)
                for a in range(0, s.n_samples, step):
                    piece = Signal(kind, s.rate, data[..., a : a + step], s.unit, a / s.rate)
                    recorder.write("bench", [SignalChunk(person.participant, piece)])
    finally:
        recorder.close()


def _cpu(fn: object, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        fn()  # type: ignore[operator]
        best = min(best, time.process_time() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "bench.signals"
        write_recording(folder, args.participants, args.seconds)
        spec = PerformanceSpec.model_validate(
            {
                "performance": {"duration": args.seconds},
                "layers": [{"name": "x", "patch": "drone"}],
                "sources": [{"name": "bench", "kind": "recording", "path": str(folder)}],
            }
        )
        here = Path(tmp) / "bench.toml"

        def baseline() -> None:
            for rec in load_recording(folder):
                extract_features(rec, RATE)

        def symphony() -> None:
            recorded_tracks(spec, here, args.seconds, RATE)

        base = _cpu(baseline, args.repeat)
        ours = _cpu(symphony, args.repeat)
    n, secs = args.participants, args.seconds
    print(f"{n} participants x {secs:g} s recorded (best of {args.repeat}, CPU seconds)\n")
    print("| path | CPU s | x real time | ratio to baseline |")
    print("|---|---:|---:|---:|")
    print(f"| load_recording + extract_features | {base:.2f} | {secs / base:.1f} | 1.00 |")
    print(f"| render's recorded_tracks | {ours:.2f} | {secs / ours:.1f} | {ours / base:.2f} |")
    print(f"\ntargets: ratio <= {TARGET_RATIO}; >= {TARGET_SPEED:g}x real time")


if __name__ == "__main__":
    main()
