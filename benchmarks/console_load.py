"""Does the console slow the control loop? The loop with and without it, same run.

The control loop (`LiveControl`) runs the demo with simulated participants
at its control rate for a while, sending to nowhere (no engine: this
measures the control process alone). Each run is a fresh process in a
pseudo-terminal, alternated, best of N:

- **no console**: the loop alone (as `--no-console`);
- **console**: the same with the console process drawing at 10 Hz into the
  terminal (whose output this script reads, as a terminal emulator would)
  and the control process sending it ten snapshots a second.

Columns: frames stepped per second against the target rate, mean and 95th
percentile of one step's time, frames that started late by more than one
period, and the control process's CPU (percent of one core; the console
process's own CPU is not in it: the console shows it live).

Usage: python benchmarks/console_load.py [--seconds 20] [--participants 8] [--runs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import subprocess
import sys
import tempfile
import textwrap
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RUN = """
import json, os, sys, time
import numpy as np
from pathlib import Path
from symphony.inputs.sources import open_source
from symphony.live.control import LiveControl
from symphony.performance.loader import load_performance
from symphony.performance.simulation import participant_script
perf = load_performance(Path({demo!r}))
spec = perf.spec
t0 = time.monotonic()
clock = lambda: time.monotonic() - t0
script = [{{"at": c.at, "state": c.state, "ramp": c.ramp}} for c in participant_script(spec)]
source = open_source({{"kind": "simulated", "participants": {participants},
                      "duration": spec.performance.duration, "seed": 1, "script": script}}, clock)
control = LiveControl(perf, [source], lambda t, v: True, clock)
steps, starts = [], []
original = control.step
def timed():
    t = time.perf_counter()
    starts.append(t)
    original()
    steps.append(time.perf_counter() - t)
control.step = timed
console = None
if {console}:
    from symphony.console.launch import ConsoleProcess, GaugeSources
    sources = GaugeSources(os.getpid(), os.getpid(), None, None, None, "portaudio", 5.33)
    console = ConsoleProcess(Path({demo!r}), {seconds}, sources, None, None, Path("/tmp/x.session"))
    control.local = console.commands
    console.start()
cpu0 = time.process_time()
while clock() < {seconds}:  # as `symphony live` runs it
    control.run(until=min({seconds}, clock() + (0.1 if console else 1.0)))
    if console is not None:
        console.publish(control.state, clock())
cpu = time.process_time() - cpu0
if console is not None:
    console.stop()
source.close()
steps = np.array(steps[50:]) * 1000
gaps = np.diff(starts[50:]) * 1000
period = 1000 / control.rate
with open({out!r}, "w") as f:
    json.dump({{"rate": 1000 / gaps.mean(), "target": control.rate, "mean_ms": steps.mean(),
               "p95_ms": float(np.percentile(steps, 95)),
               "late": float(np.mean(gaps > 2 * period) * 100),
               "cpu": 100 * cpu / {seconds}}}, f)
"""


def run(console: bool, seconds: float, participants: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        code = textwrap.dedent(
            RUN.format(
                demo=str(ROOT / "performances" / "demo.toml"),
                participants=participants,
                seconds=seconds,
                console=console,
                out=str(out),
            )
        )
        master, slave = pty.openpty()
        env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(
            [sys.executable, "-c", code], stdin=slave, stdout=slave, stderr=slave, env=env
        )
        os.close(slave)

        def drain() -> None:
            while True:
                try:
                    if not os.read(master, 65536):
                        return
                except OSError:
                    return

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        proc.wait()
        os.close(master)
        return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--participants", type=int, default=8)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.runs):
        for name, console in (("no console", False), ("console", True)):
            r = run(console, args.seconds, args.participants)
            b = best.get(name)
            best[name] = r if b is None or r["mean_ms"] < b["mean_ms"] else b
    print(
        f"demo, {args.participants} simulated participants, {args.seconds:g} s, best of {args.runs}"
    )
    print("| run | frames/s (target) | step mean ms | step p95 ms | late frames % | cpu % |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, r in best.items():
        print(
            f"| {name} | {r['rate']:.1f} ({r['target']:g}) | {r['mean_ms']:.2f} | {r['p95_ms']:.2f}"
            f" | {r['late']:.1f} | {r['cpu']:.0f} |"
        )


if __name__ == "__main__":
    main()
