"""Cost of the console's output level tap in the engine, against the same engine without it.

The tap adds pyo followers on the master (two K-weighting biquads, an RMS
and a peak follower per channel) and a few plain-float operations to the
per-block hook (symphony.engine.levels). Measured here on pyo's offline
server, one fresh process per run, alternated, best of N:

- **hook only**: the realtime `LaneHook` on empty lanes (what runs every
  block live when no change is pending);
- **hook + tap**: the same with the level tap.

Columns: wall seconds for the render, and the hook's own time per block
(perf_counter around the call). The tap's cost is the difference.

Usage: python benchmarks/level_tap.py [--seconds 60] [--channels 2] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RUN = """
import json, multiprocessing as mp, time
from symphony.engine.clock import clock_array
from symphony.engine.hook import ControlApplier, LaneHook
from symphony.engine.lanes import LaneReader
from symphony.engine.levels import SLOTS, build_level_tap
from symphony.engine.pyo_import import load_pyo
pyo = load_pyo()
ctx = mp.get_context("spawn")
lanes = [ctx.Pipe(duplex=False) for _ in range(2)]
rate, block, channels, seconds = 48000, 256, {channels}, {seconds}
s = pyo.Server(sr=rate, nchnls=channels, buffersize=block, duplex=0, audio="offline", winhost="")
s.setVerbosity(1)
s.boot()
s.recordOptions(dur=seconds, filename="/dev/null", fileformat=0, sampletype=1)
sources = [pyo.PinkNoise(mul=0.3) for _ in range(channels)]
outs = [pyo.ButLP(src, freq=2000) for src in sources]
for c, o in enumerate(outs):
    o.out(chnl=c)
gain = pyo.Sig(0.0)
applier = ControlApplier([gain.setValue], [-60.0], [0.0], [0.0], ["master"], 0, 0.1)
levels = [0.0] * SLOTS
tap = build_level_tap(pyo, outs, rate, block, levels) if {tap} else None
hook = LaneHook(applier, LaneReader([r for r, _ in lanes]), clock_array(ctx), None, tap)
spent = [0.0, 0]
def timed():
    t = time.perf_counter()
    hook()
    spent[0] += time.perf_counter() - t
    spent[1] += 1
s.setCallback(timed)
t0 = time.perf_counter()
s.start()
wall = time.perf_counter() - t0
print(json.dumps({{"wall": wall, "hook_us": 1e6 * spent[0] / max(1, spent[1])}}))
"""


def run(tap: bool, seconds: float, channels: int) -> dict[str, float]:
    code = textwrap.dedent(RUN.format(tap=tap, seconds=seconds, channels=channels))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--channels", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.runs):
        for name, tap in (("hook only", False), ("hook + tap", True)):
            r = run(tap, args.seconds, args.channels)
            b = best.setdefault(name, r)
            best[name] = {k: min(b[k], r[k]) for k in r}
    base = best["hook only"]
    print(
        f"{args.seconds:g} s offline, {args.channels} channels, 256-frame blocks,"
        f" best of {args.runs}"
    )
    print("| run | render wall s | x real time | hook us/block | vs hook only |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, r in best.items():
        extra = r["hook_us"] - base["hook_us"]
        print(
            f"| {name} | {r['wall']:.2f} | {args.seconds / r['wall']:.0f} | {r['hook_us']:.1f}"
            f" | {extra:+.1f} us/block, {100 * (r['wall'] / base['wall'] - 1):+.0f} % wall |"
        )


if __name__ == "__main__":
    main()
